package com.shipmenttimeline.jobs.warehouse;

import com.shipmenttimeline.schemas.QuarantineReason;
import com.shipmenttimeline.transforms.Outcome;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The section 2 counts of one run. {@code read = timeline + quarantined + duplicates +
 * already_processed} holds by construction: every row read has exactly one outcome, and
 * {@code read} is their sum. {@code late} is 0 since the contract dropped that outcome (runs recorded
 * before keep theirs, and it stays in the sum for them). {@code rewritten} counts the stored rows of
 * other events whose fields the run changed, because an event arrived before them; not in the sum.
 */
public record RunCounts(long read, long timeline, Map<QuarantineReason, Long> quarantinedByReason, long duplicates,
        long alreadyProcessed, long late, long unknownLocation, long rewritten) {

    public RunCounts {
        quarantinedByReason = Map.copyOf(quarantinedByReason);
    }

    public RunCounts(long read, long timeline, Map<QuarantineReason, Long> quarantinedByReason, long duplicates, long alreadyProcessed,
            long late, long unknownLocation) {
        this(read, timeline, quarantinedByReason, duplicates, alreadyProcessed, late, unknownLocation, 0);
    }

    /** The same counts with the stored rows the run rewrote. */
    public RunCounts withRewritten(long rows) {
        return new RunCounts(read, timeline, quarantinedByReason, duplicates, alreadyProcessed, late, unknownLocation, rows);
    }

    /** From the outcome counts of the rows read; {@code unknownLocation} comes separately. */
    public static RunCounts fromOutcomes(Map<String, Long> byOutcome, long unknownLocation) {
        Map<QuarantineReason, Long> q = new EnumMap<>(QuarantineReason.class);
        for (QuarantineReason r : QuarantineReason.values()) {
            q.put(r, byOutcome.getOrDefault(r.name(), 0L));
        }
        long read = byOutcome.values().stream().mapToLong(Long::longValue).sum();
        for (String k : byOutcome.keySet()) {
            if (!Outcome.isQuarantine(k) && !k.equals(Outcome.TIMELINE) && !k.equals(Outcome.DUPLICATE)
                    && !k.equals(Outcome.ALREADY_PROCESSED)) {
                throw new IllegalStateException("unknown outcome " + k);
            }
        }
        return new RunCounts(read, byOutcome.getOrDefault(Outcome.TIMELINE, 0L), q,
                byOutcome.getOrDefault(Outcome.DUPLICATE, 0L), byOutcome.getOrDefault(Outcome.ALREADY_PROCESSED, 0L), 0L, unknownLocation);
    }

    public long quarantined() {
        return quarantinedByReason.values().stream().mapToLong(Long::longValue).sum();
    }

    /** The counts by {@code processing_runs} column name. */
    public Map<String, Long> byColumn() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("rows_read", read);
        m.put("timeline_rows", timeline);
        m.put("quarantined", quarantined());
        m.put("duplicates", duplicates);
        m.put("already_processed", alreadyProcessed);
        m.put("late", late);
        m.put("unknown_location", unknownLocation);
        m.put("rewritten", rewritten);
        for (QuarantineReason r : QuarantineReason.values()) {
            m.put(r.countColumn(), quarantinedByReason.getOrDefault(r, 0L));
        }
        return m;
    }

    @Override
    public String toString() {
        StringBuilder q = new StringBuilder();
        quarantinedByReason.entrySet().stream().filter(e -> e.getValue() > 0)
                .sorted(Map.Entry.comparingByKey())
                .forEach(e -> q.append(q.length() == 0 ? "" : ", ").append(e.getKey()).append('=').append(e.getValue()));
        return "read=" + read + " timeline=" + timeline + " quarantined=" + quarantined() + (q.length() > 0 ? " (" + q + ")" : "")
                + " duplicates=" + duplicates + " already_processed=" + alreadyProcessed + (late > 0 ? " late=" + late : "")
                + " unknown_location=" + unknownLocation + (rewritten > 0 ? " rewritten=" + rewritten : "");
    }
}
