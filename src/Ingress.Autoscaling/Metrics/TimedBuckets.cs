namespace Ingress.Autoscaling.Metrics;

/// <summary>
/// A time-bucketed window of float values (upstream <c>TimedFloat64Buckets</c>): a ring of
/// ceil(window / granularity) cells indexed by unix seconds / granularity. Times are whole unix seconds
/// (the autoscaler's granularity is 1 s), so "truncate to granularity" is integer arithmetic.
/// Not thread-safe; the owning <see cref="MetricCollection"/> serialises access.
/// </summary>
public class TimedBuckets
{
    // Go's zero time.Time in unix seconds: "never written".
    private const long NeverWritten = -62135596800;

    protected double[] Buckets;
    protected long FirstWrite = NeverWritten;
    protected long LastWrite = NeverWritten;
    protected readonly long Granularity;
    protected long Window;
    protected double WindowTotal;

    /// <param name="windowSeconds">Length of the window in seconds.</param>
    /// <param name="granularitySeconds">Bucket width in seconds (1 in the autoscaler).</param>
    public TimedBuckets(long windowSeconds, long granularitySeconds = 1)
    {
        if (windowSeconds <= 0) throw new ArgumentOutOfRangeException(nameof(windowSeconds));
        if (granularitySeconds <= 0) throw new ArgumentOutOfRangeException(nameof(granularitySeconds));
        Granularity = granularitySeconds;
        Window = windowSeconds;
        Buckets = new double[(int)Math.Ceiling((double)windowSeconds / granularitySeconds)];
    }

    public TimeSpan WindowLength => TimeSpan.FromSeconds(Window);

    /// <summary>Number of cells (for memory accounting and tests).</summary>
    public int BucketCount => Buckets.Length;

    private long Truncate(long unixSeconds) => unixSeconds - Mod(unixSeconds, Granularity);

    private static long Mod(long a, long b) => ((a % b) + b) % b;

    protected long IndexOf(long unixSeconds) => unixSeconds / Granularity;

    /// <summary>True when nothing was written for more than a window before <paramref name="nowUnixSeconds"/>.</summary>
    public bool IsEmpty(long nowUnixSeconds) => Truncate(nowUnixSeconds) - LastWrite > Window;

    /// <summary>Adds <paramref name="value"/> into the bucket of <paramref name="unixSeconds"/>; values in the
    /// same bucket are summed, values older than a window before the newest write are dropped.</summary>
    public void Record(long unixSeconds, double value)
    {
        var bucketTime = Truncate(unixSeconds);
        var writeIndex = IndexOf(unixSeconds);
        if (LastWrite != bucketTime)
        {
            if (!(bucketTime + Window > LastWrite)) return; // too old: more than a window before the newest write
            if (FirstWrite == NeverWritten || FirstWrite > bucketTime) FirstWrite = bucketTime;
            if (bucketTime > LastWrite)
            {
                if (bucketTime - LastWrite >= Window)
                {
                    FirstWrite = bucketTime;
                    Array.Clear(Buckets);
                    WindowTotal = 0;
                }
                else
                {
                    for (var i = IndexOf(LastWrite) + 1; i <= writeIndex; i++)
                    {
                        var idx = (int)(i % Buckets.Length);
                        WindowTotal -= Buckets[idx];
                        Buckets[idx] = 0;
                    }
                }
                LastWrite = bucketTime;
            }
        }
        Buckets[(int)(writeIndex % Buckets.Length)] += value;
        WindowTotal += value;
    }

    /// <summary>The window's average at <paramref name="nowUnixSeconds"/>: only the seconds since the first write
    /// count, trailing silence shrinks the denominator, result rounded to 6 decimals half away from zero.</summary>
    public virtual double WindowAverage(long nowUnixSeconds)
    {
        var now = Truncate(nowUnixSeconds);
        var d = now - LastWrite;
        var span = (double)((LastWrite - FirstWrite) / Granularity) + 1; // +1: both ends inclusive
        if (d <= 0)
            return Round6(WindowTotal / Math.Min(span, Buckets.Length));
        if (d < Window)
        {
            var startIndex = IndexOf(LastWrite);
            var endIndex = IndexOf(now);
            var total = WindowTotal;
            for (var i = startIndex + 1; i <= endIndex; i++) total -= Buckets[(int)(i % Buckets.Length)];
            return Round6(total / Math.Min(span, Buckets.Length - (endIndex - startIndex)));
        }
        return 0;
    }

    /// <summary>Changes the window length keeping the newest min(old, new) cells when the data is recent.</summary>
    public virtual void ResizeWindow(long windowSeconds, long nowUnixSeconds)
    {
        if (windowSeconds == Window) return;
        var count = (int)Math.Ceiling((double)windowSeconds / Granularity);
        var fresh = new double[count];
        double total = 0;
        if (Truncate(nowUnixSeconds) - LastWrite <= Window)
        {
            var oldCount = Buckets.Length;
            var index = IndexOf(LastWrite);
            for (var n = 0; n < Math.Min(count, oldCount); n++, index--)
            {
                var value = Buckets[(int)Mod(index, oldCount)];
                fresh[(int)Mod(index, count)] = value;
                total += value;
            }
            FirstWrite = LastWrite - (oldCount - 1) * Granularity;
        }
        else
        {
            FirstWrite = NeverWritten;
        }
        Window = windowSeconds;
        Buckets = fresh;
        WindowTotal = total;
    }

    /// <summary>Go's math.Round(f·10⁶)/10⁶: half away from zero (not .NET's default banker's rounding).</summary>
    public static double Round6(double value) => Math.Round(value * 1e6, MidpointRounding.AwayFromZero) / 1e6;
}

/// <summary>
/// Weighted-exponential window (upstream <c>WeightedFloat64Buckets</c>): newest cell weight m, each older one
/// multiplied by (1 − m), m = max(1 − 0.0001^(1/n), 0.2). Not normalised, not rounded.
/// </summary>
public sealed class WeightedTimedBuckets : TimedBuckets
{
    private const double WeightPrecision = 0.9999;
    private const double MinExponent = 0.2;
    private double _smoothing;

    public WeightedTimedBuckets(long windowSeconds, long granularitySeconds = 1) : base(windowSeconds, granularitySeconds)
    {
        _smoothing = SmoothingCoefficient(Math.Ceiling((double)windowSeconds / granularitySeconds));
    }

    public double Smoothing => _smoothing;

    public static double SmoothingCoefficient(double buckets) => Math.Max(1 - Math.Pow(1 - WeightPrecision, 1 / buckets), MinExponent);

    public override double WindowAverage(long nowUnixSeconds)
    {
        if (IsEmpty(nowUnixSeconds)) return 0;
        var now = nowUnixSeconds - (((nowUnixSeconds % Granularity) + Granularity) % Granularity);
        var total = Buckets.Length;
        var count = Buckets.Length;
        var multiplier = _smoothing;
        if (now > LastWrite)
        {
            var zeros = (now - LastWrite) / Granularity;
            multiplier *= Math.Pow(1 - _smoothing, zeros);
            count -= (int)zeros;
        }
        var start = IndexOf(LastWrite) + total;
        double result = 0;
        for (var i = 0; i < count; i++)
        {
            result += Buckets[(int)((start - i) % total)] * multiplier;
            multiplier *= 1 - _smoothing;
        }
        return result;
    }

    public override void ResizeWindow(long windowSeconds, long nowUnixSeconds)
    {
        base.ResizeWindow(windowSeconds, nowUnixSeconds);
        _smoothing = SmoothingCoefficient(Math.Ceiling((double)windowSeconds / Granularity));
    }
}
