using Ingress.Api.Metrics;
using Ingress.Autoscaling.Configuration;
using Ingress.Autoscaling.Metrics;

namespace Ingress.Autoscaling.Tests.Metrics;

public class TimedBucketsTests
{
    private const long T0 = 1_700_000_000; // divisible by 5, so index arithmetic is easy to follow

    private static TimedBuckets With(long window, params (long Offset, double Value)[] records)
    {
        var b = new TimedBuckets(window);
        foreach (var (offset, value) in records) b.Record(T0 + offset, value);
        return b;
    }

    [Fact]
    public void A_single_sample_averages_over_the_seconds_since_first_write() =>
        Assert.Equal(1, With(60, (0, 1)).WindowAverage(T0));

    [Theory]
    [InlineData(2, 2.0)]   // at last write: 6 / 3
    [InlineData(4, 2.0)]   // trailing silence shrinks the denominator: 6 / min(3, 5 - 2)
    [InlineData(5, 2.5)]   // the cell of T0 left the window: (2 + 3) / min(3, 5 - 3)
    [InlineData(6, 3.0)]   // only T0+2 remains: 3 / 1
    [InlineData(7, 0.0)]   // a whole window of silence
    public void Window_average_over_time(long at, double expected) =>
        Assert.Equal(expected, With(5, (0, 1), (1, 2), (2, 3)).WindowAverage(T0 + at));

    [Fact]
    public void Is_empty_only_after_more_than_a_window_of_silence()
    {
        var b = With(5, (0, 1));
        Assert.False(b.IsEmpty(T0 + 5));
        Assert.True(b.IsEmpty(T0 + 6));
        Assert.True(new TimedBuckets(5).IsEmpty(T0));
    }

    [Fact]
    public void Gaps_inside_the_data_count_as_zero() =>
        Assert.Equal(2, With(5, (0, 4), (2, 2)).WindowAverage(T0 + 2));

    [Fact]
    public void Records_in_the_same_second_are_summed() =>
        Assert.Equal(7, With(60, (0, 3), (0, 4)).WindowAverage(T0));

    [Fact]
    public void Values_older_than_a_window_before_the_newest_write_are_dropped()
    {
        var b = With(5, (10, 5));
        b.Record(T0 + 5, 100); // 5 + 5 is not after 10: dropped
        Assert.Equal(5, b.WindowAverage(T0 + 10));
        b.Record(T0 + 6, 1);   // within the window: goes into its own (older) cell, first write moves back
        Assert.Equal(6.0 / 5, b.WindowAverage(T0 + 10));
    }

    [Fact]
    public void A_gap_of_a_window_or_more_clears_everything()
    {
        var b = With(5, (0, 100), (5, 1));
        Assert.Equal(1, b.WindowAverage(T0 + 5));
    }

    [Fact]
    public void Older_cells_are_cleared_when_the_ring_wraps()
    {
        var b = With(5, (0, 10), (1, 10), (2, 10), (3, 10), (4, 10));
        b.Record(T0 + 7, 1); // clears the cells of T0+5..T0+7, i.e. those that held T0..T0+2
        Assert.Equal(21.0 / 5, b.WindowAverage(T0 + 7));
    }

    [Fact]
    public void Rounds_to_six_decimals_half_away_from_zero()
    {
        Assert.Equal(3.333333, With(60, (0, 10), (1, 0), (2, 0)).WindowAverage(T0 + 2));
        Assert.Equal(0.666667, With(60, (0, 2), (1, 0), (2, 0)).WindowAverage(T0 + 2));
        Assert.Equal(0.000003, TimedBuckets.Round6(0.0000025));   // banker's rounding would give 0.000002
        Assert.Equal(-0.000003, TimedBuckets.Round6(-0.0000025));
    }

    [Fact]
    public void Resize_keeps_the_newest_cells()
    {
        var b = With(5, (0, 1), (1, 2), (2, 3), (3, 4), (4, 5));
        b.ResizeWindow(3, T0 + 4);
        Assert.Equal(3, b.BucketCount);
        Assert.Equal(4, b.WindowAverage(T0 + 4)); // (3 + 4 + 5) / 3
        b.ResizeWindow(10, T0 + 4);
        // Growing keeps the 3 cells; first write = last − (3 − 1) s, so still (3 + 4 + 5) / 3.
        Assert.Equal(10, b.BucketCount);
        Assert.Equal(4, b.WindowAverage(T0 + 4));
    }

    [Fact]
    public void Resize_of_stale_data_clears_it()
    {
        var b = With(5, (0, 1));
        b.ResizeWindow(10, T0 + 100);
        b.Record(T0 + 100, 4);
        Assert.Equal(4, b.WindowAverage(T0 + 100));
    }

    [Theory]
    [InlineData(5, 0.84151)]
    [InlineData(6, 0.78456)]
    [InlineData(10, 0.60189)]
    [InlineData(40, 0.20567)]
    [InlineData(60, 0.2)]
    public void Weighted_smoothing_coefficient(int buckets, double expected) =>
        Assert.Equal(expected, WeightedTimedBuckets.SmoothingCoefficient(buckets), 5);

    [Fact]
    public void Weighted_average_decays_newest_first()
    {
        var b = new WeightedTimedBuckets(5);
        var m = b.Smoothing;
        b.Record(T0, 10);
        Assert.Equal(10 * m, b.WindowAverage(T0), 12);
        Assert.Equal(10 * m * (1 - m), b.WindowAverage(T0 + 1), 12);
        b.Record(T0 + 1, 20);
        Assert.Equal(20 * m + 10 * m * (1 - m), b.WindowAverage(T0 + 1), 12);
        Assert.Equal(0, b.WindowAverage(T0 + 7));
    }

    [Fact]
    public void Collection_subtracts_proxied_and_sums_activator_and_pods()
    {
        var c = new MetricCollection(new MetricSpec(TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(6), AggregationAlgorithm.Linear, true));
        var now = DateTimeOffset.FromUnixTimeSeconds(T0);
        Assert.Equal(MetricReadError.NoData, c.StableAndPanicConcurrency(now).Error);
        c.Record(now, new Stat { AverageConcurrentRequests = 10, AverageProxiedConcurrentRequests = 4, RequestCount = 30, ProxiedRequestCount = 5 });
        c.Record(now.AddMilliseconds(500), new Stat { PodName = "activator", AverageConcurrentRequests = 4, RequestCount = 5 });
        Assert.Equal(new StableAndPanic(10, 10, MetricReadError.None), c.StableAndPanicConcurrency(now));
        Assert.Equal(new StableAndPanic(30, 30, MetricReadError.None), c.StableAndPanicRps(now));
        // Six seconds later the panic window (6 s) only has silence behind it… but the stable one still averages.
        Assert.Equal(new StableAndPanic(10, 0, MetricReadError.None), c.StableAndPanicConcurrency(now.AddSeconds(6)));
        Assert.Equal(MetricReadError.NoData, c.StableAndPanicConcurrency(now.AddSeconds(61)).Error);
    }

    [Fact]
    public void Collection_without_scrape_target_reads_zero_when_empty()
    {
        var c = new MetricCollection(new MetricSpec(TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(6), AggregationAlgorithm.Linear, false));
        Assert.Equal(new StableAndPanic(0, 0, MetricReadError.None), c.StableAndPanicConcurrency(DateTimeOffset.FromUnixTimeSeconds(T0)));
    }

    [Fact]
    public void Default_windows_of_a_revision_fit_in_well_under_8_KiB()
    {
        var c = new MetricCollection(MetricSpec.From(RevisionAutoscaling.Resolve(null, 0, AutoscalerConfig.Default)));
        Assert.Equal(8 * (60 + 6 + 60 + 6), c.BucketBytes);
    }
}
