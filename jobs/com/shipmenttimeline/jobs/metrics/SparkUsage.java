package com.shipmenttimeline.jobs.metrics;

import com.shipmenttimeline.jobs.warehouse.RunRecord;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.SparkContext;
import org.apache.spark.executor.TaskMetrics;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What Spark measures of one run's tasks, for {@code processing_runs}: executor CPU time, the largest
 * task's peak execution memory and the shuffle bytes written, summed over every task that ends while
 * the run is open. A listener of its own per run (a batch has its own), removed when the run closes.
 * The session is the run's alone while it holds the warehouse lease; a notebook that runs other
 * work on the same session at the same time adds that work's tasks.
 */
public final class SparkUsage implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SparkUsage.class);

    private final SparkContext context;
    private final Listener listener = new Listener();

    private SparkUsage(SparkContext context) {
        this.context = context;
        context.addSparkListener(listener);
    }

    /** Starts counting the tasks that end from now on. */
    public static SparkUsage start(SparkContext context) {
        return new SparkUsage(context);
    }

    /** The figures so far, after Spark's listener bus has delivered the events of the tasks that ended. */
    public RunRecord.SparkFigures figures() {
        try {
            context.listenerBus().waitUntilEmpty();
        } catch (Exception e) { // a TimeoutException, which Scala does not declare
            LOG.debug("Spark's listener bus did not drain: the run's Spark figures may be short ({})", e.toString());
        }
        return new RunRecord.SparkFigures(listener.cpuNanos.get() / 1e9, listener.peakMemory.get(), listener.shuffleBytes.get());
    }

    @Override
    public void close() {
        context.removeSparkListener(listener);
    }

    private static final class Listener extends SparkListener {
        final AtomicLong cpuNanos = new AtomicLong();
        final AtomicLong peakMemory = new AtomicLong();
        final AtomicLong shuffleBytes = new AtomicLong();

        @Override
        public void onTaskEnd(SparkListenerTaskEnd end) {
            TaskMetrics m = end.taskMetrics();
            if (m == null) {
                return;
            }
            cpuNanos.addAndGet(m.executorCpuTime());
            peakMemory.accumulateAndGet(m.peakExecutionMemory(), Math::max);
            shuffleBytes.addAndGet(m.shuffleWriteMetrics().bytesWritten());
        }
    }
}
