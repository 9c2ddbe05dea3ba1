package com.shipmenttimeline.testing;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An independent, deliberately plain implementation of contract section 4: a loop per
 * shipment, no Spark. Tests hold the window-function code to it.
 */
public final class ReferenceTimeline {
    private ReferenceTimeline() {}

    /** An input event. Times are epoch microseconds; promise may be null. */
    public record Event(String shipmentId, String eventId, long ts, String status, String locationId, Long promise) {}

    /** The computed fields of one event. */
    public record Fields(String eventId, long sequence, Double timeSincePrev, double cumulativeHours, String prevStatus,
            String prevLocation, boolean locationChange, long statusStart, double timeInStatus, Double prevStatusDuration,
            Double hoursToPromise, boolean pastPromise) {}

    /** Byte order of the UTF-8 encodings, as the contract says strings compare. */
    public static final Comparator<String> BYTE_ORDER = (a, b) -> {
        byte[] x = a.getBytes(StandardCharsets.UTF_8);
        byte[] y = b.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < Math.min(x.length, y.length); i++) {
            int c = Integer.compare(x[i] & 0xff, y[i] & 0xff);
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(x.length, y.length);
    };

    public static final Comparator<Event> ORDER = Comparator.comparingLong(Event::ts).thenComparing(Event::eventId, BYTE_ORDER);

    /** Fields by event id, over the whole history given. */
    public static Map<String, Fields> compute(List<Event> events) {
        Map<String, List<Event>> byShipment = new LinkedHashMap<>();
        for (Event e : events) {
            byShipment.computeIfAbsent(e.shipmentId(), k -> new ArrayList<>()).add(e);
        }
        Map<String, Fields> out = new LinkedHashMap<>();
        for (List<Event> list : byShipment.values()) {
            list.sort(ORDER);
            long[] statusStart = new long[list.size()];
            for (int i = 0; i < list.size(); i++) {
                Event e = list.get(i);
                Event p = i == 0 ? null : list.get(i - 1);
                int j = i;
                while (j > 0 && list.get(j - 1).status().equals(e.status())) {
                    j--;
                }
                statusStart[i] = list.get(j).ts();
                Double prevDuration = p != null && !p.status().equals(e.status()) ? seconds(e.ts() - statusStart[i - 1]) : null;
                out.put(e.eventId(), new Fields(e.eventId(), i + 1L,
                        p == null ? null : seconds(e.ts() - p.ts()),
                        (e.ts() - list.get(0).ts()) / 3_600_000_000d,
                        p == null ? null : p.status(),
                        p == null ? null : p.locationId(),
                        p != null && e.locationId() != null && p.locationId() != null && !Objects.equals(e.locationId(), p.locationId()),
                        statusStart[i],
                        seconds(e.ts() - statusStart[i]),
                        prevDuration,
                        e.promise() == null ? null : (e.promise() - e.ts()) / 3_600_000_000d,
                        e.promise() != null && e.ts() > e.promise()));
            }
        }
        return out;
    }

    private static double seconds(long micros) {
        return micros / 1_000_000d;
    }
}
