package com.shipmenttimeline.jobs.run;

import java.time.Instant;
import java.time.LocalDate;
import java.util.Optional;

/**
 * What a run is asked to do, checked already by the command line: the mode, the reference time
 * (default now), and the flags of the base, backfill and replay runs.
 */
public record RunRequest(
        Mode mode,
        Optional<Instant> asOf,
        boolean rebuild,
        Optional<LocalDate> from,
        Optional<LocalDate> to,
        Optional<Instant> replayFrom) {}
