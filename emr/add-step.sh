#!/usr/bin/env bash
# Adds one Shipment Timeline step to the stack's EMR cluster, filling the step file's placeholders
# from the CloudFormation stack (its parameters, outputs and resources).
#   emr/add-step.sh STACK daily_base|incremental|monitor
#   emr/add-step.sh STACK backfill --from YYYY-MM-DD [--to YYYY-MM-DD]
#   emr/add-step.sh STACK replay --replay-from 2025-07-11T10:00:00Z
# Needs the AWS CLI v2, credentials for the account, and nothing else.
set -euo pipefail
usage() { sed -n '2,8p' "$0" >&2; exit 2; }
[ $# -ge 2 ] || usage
stack=$1 mode=$2; shift 2
from="" to="" replay=""
while [ $# -gt 0 ]; do
  case "$1" in
    --from) from=${2:?}; shift 2 ;;
    --to) to=${2:?}; shift 2 ;;
    --replay-from) replay=${2:?}; shift 2 ;;
    *) echo "add-step.sh: unknown argument $1" >&2; usage ;;
  esac
done
here=$(cd "$(dirname "$0")" && pwd)
file="$here/steps/$mode.json"
[ -f "$file" ] || { echo "add-step.sh: no step $mode (one of: $(ls "$here/steps" | sed 's/.json//' | tr '\n' ' '))" >&2; exit 2; }
[ "$mode" != backfill ] || [ -n "$from" ] || { echo "add-step.sh: backfill needs --from YYYY-MM-DD" >&2; exit 2; }
[ "$mode" != replay ] || [ -n "$replay" ] || { echo "add-step.sh: replay needs --replay-from TIMESTAMP" >&2; exit 2; }

value() { # a stack parameter or output by name
  aws cloudformation describe-stacks --stack-name "$stack" --query \
    "Stacks[0].[Parameters[?ParameterKey=='$1'].ParameterValue, Outputs[?OutputKey=='$1'].OutputValue][] | [0]" --output text
}
cluster=$(value EmrClusterId)
step=$(mktemp)
trap 'rm -f "$step"' EXIT
sed -e "s|\${RawBucket}|$(value RawBucketName)|g" \
    -e "s|\${ProcessedBucket}|$(value ProcessedBucketName)|g" \
    -e "s|\${ConfigBucket}|$(value ConfigBucketName)|g" \
    -e "s|\${JarKey}|$(value JarKey)|g" \
    -e "s|\${RedshiftJdbcUrl}|$(value RedshiftJdbcUrl)|g" \
    -e "s|\${RedshiftDbUser}|$(value RedshiftDbUser)|g" \
    -e "s|\${RedshiftCopyRole.Arn}|$(value RedshiftCopyRoleArn)|g" \
    -e "s|\${ClusterCostPerHour}|$(value ClusterCostPerHour)|g" \
    -e "s|\${Environment}|$(value Environment)|g" \
    -e "s|\${FromDate}|$from|g" -e "s|\${ReplayFrom}|$replay|g" "$file" > "$step"
if [ "$mode" = backfill ]; then
  if [ -n "$to" ]; then sed -i "s|\${ToDate}|$to|g" "$step"; else sed -i '/"--to",/d; /"\${ToDate}",/d' "$step"; fi
fi
if grep -q '\${' "$step"; then echo "add-step.sh: unfilled placeholder: $(grep -o '\${[^}]*}' "$step" | head -1)" >&2; exit 2; fi
aws emr add-steps --cluster-id "$cluster" --steps "file://$step"
