namespace Ingress.Autoscaling.Scaling;

/// <summary>
/// One revision's decider (upstream UniScaler "autoscaler"): stable and panic modes, scale-up and
/// scale-down rates, activation scale, scale-down delay and excess burst capacity (spec §5).
/// It holds only decision state; the caller supplies ready pods and observed totals. Not thread-safe
/// (the runner serialises calls per revision).
/// </summary>
public sealed class Decider
{
    /// <summary>Decider tick (also the slot width of the scale-down-delay window).</summary>
    public static readonly TimeSpan TickInterval = TimeSpan.FromSeconds(2);

    private DeciderSpec _spec;
    private DateTimeOffset? _panicTime;
    private int _maxPanicPods;
    private readonly SlidingMaxWindow? _delayWindow;

    /// <param name="spec">The revision's spec.</param>
    /// <param name="now">Creation time.</param>
    /// <param name="readyPodsAtCreation">Ready pods when created, null if they could not be counted. More than
    /// one starts the decider in panic with that many pods as the ratchet, so that an autoscaler restart
    /// cannot immediately scale a busy revision down.</param>
    public Decider(DeciderSpec spec, DateTimeOffset now, int? readyPodsAtCreation)
    {
        _spec = spec ?? throw new ArgumentNullException(nameof(spec));
        var count = readyPodsAtCreation ?? 0;
        if (count > 1) _panicTime = now;
        _maxPanicPods = count;
        // Sized at creation only: a later change of the delay affects new deciders only, as upstream.
        if (spec.ScaleDownDelay > TimeSpan.Zero)
            _delayWindow = new SlidingMaxWindow((int)Math.Ceiling(spec.ScaleDownDelay / TickInterval));
    }

    public DeciderSpec Spec => _spec;

    /// <summary>True while in panic mode.</summary>
    public bool Panicking => _panicTime is not null;

    /// <summary>When panic mode was last (re)entered.</summary>
    public DateTimeOffset? PanicTime => _panicTime;

    /// <summary>The ratchet: desired never falls below this while panicking.</summary>
    public int MaxPanicPods => _maxPanicPods;

    /// <summary>Replaces the spec (the scale-down-delay window is not rebuilt).</summary>
    public void Update(DeciderSpec spec) => _spec = spec ?? throw new ArgumentNullException(nameof(spec));

    /// <summary>
    /// One evaluation at <paramref name="now"/> with <paramref name="readyPods"/> ready pods and the observed
    /// revision-wide stable and panic totals of the spec's metric.
    /// </summary>
    public ScaleResult Scale(DateTimeOffset now, int readyPods, double observedStable, double observedPanic)
    {
        var spec = _spec;
        double ready = Math.Max(1, readyPods);
        var maxScaleUp = Math.Ceiling(spec.MaxScaleUpRate * ready);
        var maxScaleDown = spec.Reachable ? Math.Floor(ready / spec.MaxScaleDownRate) : 0;

        var desiredStable = Math.Ceiling(observedStable / spec.TargetValue);
        var desiredPanic = Math.Ceiling(observedPanic / spec.TargetValue);
        var stablePods = ToInt32(Math.Min(Math.Max(desiredStable, maxScaleDown), maxScaleUp));
        var panicPods = ToInt32(Math.Min(Math.Max(desiredPanic, maxScaleDown), maxScaleUp));

        // After the rate clamp, and only when the metric asks for pods at all (never blocks scale to zero).
        if (spec.ActivationScale > 1)
        {
            if (desiredStable > 0 && spec.ActivationScale > stablePods) stablePods = spec.ActivationScale;
            if (desiredPanic > 0 && spec.ActivationScale > panicPods) panicPods = spec.ActivationScale;
        }

        // The unclamped panic count against max(1, ready).
        var overThreshold = desiredPanic / ready >= spec.PanicThreshold;
        if (overThreshold)
        {
            _panicTime = now;
        }
        else if (_panicTime is { } since && since + spec.StableWindow < now)
        {
            _panicTime = null;
            _maxPanicPods = 0;
        }

        var desired = stablePods;
        if (_panicTime is not null)
        {
            if (desired < panicPods) desired = panicPods;
            if (desired > _maxPanicPods) _maxPanicPods = desired;
            desired = _maxPanicPods; // a ratchet: never decreases while panicking
        }

        if (spec.Reachable && _delayWindow is not null)
        {
            _delayWindow.Record(now.ToUnixTimeSeconds() / (long)TickInterval.TotalSeconds, desired);
            desired = _delayWindow.Current;
        }

        double excess = spec.TargetBurstCapacity switch
        {
            0 => 0,
            > 0 => Math.Floor(readyPods * spec.TotalValue - spec.TargetBurstCapacity - observedPanic),
            _ => -1,
        };
        return new ScaleResult(desired, ToInt32(excess), true);
    }

    /// <summary>Go's float → int32 conversion, saturating instead of undefined on overflow.</summary>
    internal static int ToInt32(double value) =>
        double.IsNaN(value) ? 0 : value >= int.MaxValue ? int.MaxValue : value <= int.MinValue ? int.MinValue : (int)value;
}

/// <summary>
/// Sliding maximum over the last <c>size</c> slot indices (upstream max.window): a monotone deque, O(1)
/// amortised. An entry leaves once currentIndex − entryIndex ≥ size; two records in one slot keep the larger.
/// </summary>
public sealed class SlidingMaxWindow
{
    private readonly (int Value, long Index)[] _maxima;
    private int _first;
    private int _length;

    public SlidingMaxWindow(int size)
    {
        if (size <= 0) throw new ArgumentOutOfRangeException(nameof(size));
        _maxima = new (int, long)[size];
    }

    public void Record(long index, int value)
    {
        // Drop trailing entries that can never be the maximum again.
        for (; _length > 0; _length--)
        {
            if (value < _maxima[Slot(_first + _length - 1)].Value) break;
        }
        // Drop entries that fell out of the window.
        while (_length > 0 && index - _maxima[_first].Index >= _maxima.Length)
        {
            _length--;
            _first++;
            if (_first == _maxima.Length) _first = 0;
        }
        if (_length > 0)
        {
            var last = _maxima[Slot(_first + _length - 1)];
            if (last.Index == index)
            {
                if (last.Value > value) value = last.Value;
                _length--;
            }
        }
        _maxima[Slot(_first + _length)] = (value, index);
        _length++;
    }

    public int Current => _maxima[_first].Value;

    private int Slot(int i) => i % _maxima.Length;
}
