namespace Ingress.DataPlane.Concurrency;

/// <summary>Breaker sizing (Knative's BreakerParams).</summary>
/// <param name="QueueDepth">Requests allowed to wait beyond the executing ones (&gt; 0).</param>
/// <param name="MaxConcurrency">Upper bound of the capacity (≥ 0).</param>
/// <param name="InitialCapacity">Capacity at start (0 … MaxConcurrency).</param>
public sealed record BreakerOptions(int QueueDepth, int MaxConcurrency, int InitialCapacity)
{
    /// <summary>queue-proxy's breaker for containerConcurrency <paramref name="cc"/> ≥ 1: queue 10 × cc, capacity cc.</summary>
    public static BreakerOptions ForQueueProxy(int cc) => new(10 * cc, cc, cc);
}

/// <summary>Result of asking a breaker for admission.</summary>
public enum BreakerAdmission
{
    /// <summary>A slot is held; release it with <see cref="Breaker.Release"/>.</summary>
    Acquired,
    /// <summary>Queue + executing slots are all taken: refuse at once (503).</summary>
    QueueFull,
}

/// <summary>
/// Knative's breaker, shared by queue-proxy and activator: at most <c>QueueDepth + capacity</c> requests are
/// admitted (the rest are refused immediately), and of those at most <c>capacity</c> execute; the others wait in
/// FIFO order. Capacity can change at run time (the activator sets cc × ready pods); shrinking never pre-empts
/// running work.
/// </summary>
public sealed class Breaker
{
    private readonly object _lock = new();
    private readonly LinkedList<TaskCompletionSource<bool>> _waiters = new();
    private readonly long _totalSlots;
    private int _inFlight;
    private int _capacity;
    private int _executing;

    public Breaker(BreakerOptions options)
    {
        if (options.QueueDepth <= 0) throw new ArgumentOutOfRangeException(nameof(options), "queue depth must be > 0");
        if (options.MaxConcurrency < 0) throw new ArgumentOutOfRangeException(nameof(options), "max concurrency must be >= 0");
        if (options.InitialCapacity < 0 || options.InitialCapacity > options.MaxConcurrency)
            throw new ArgumentOutOfRangeException(nameof(options), "initial capacity must be in [0, max concurrency]");
        Options = options;
        _totalSlots = (long)options.QueueDepth + options.MaxConcurrency;
        _capacity = options.InitialCapacity;
    }

    public BreakerOptions Options { get; }

    /// <summary>Admitted requests: executing plus queued.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Current executing capacity.</summary>
    public int Capacity { get { lock (_lock) return _capacity; } }

    /// <summary>Admits the request (or refuses it when the queue is full), then waits for an executing slot.
    /// Cancellation while waiting gives the admission back and throws <see cref="OperationCanceledException"/>.</summary>
    public ValueTask<BreakerAdmission> AcquireAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _inFlight) > _totalSlots)
        {
            Interlocked.Decrement(ref _inFlight);
            return ValueTask.FromResult(BreakerAdmission.QueueFull);
        }
        TaskCompletionSource<bool> waiter;
        LinkedListNode<TaskCompletionSource<bool>> node;
        lock (_lock)
        {
            if (_executing < _capacity && _waiters.Count == 0)
            {
                _executing++;
                return ValueTask.FromResult(BreakerAdmission.Acquired);
            }
            waiter = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            node = _waiters.AddLast(waiter);
        }
        return WaitAsync(waiter, node, cancellationToken);
    }

    private async ValueTask<BreakerAdmission> WaitAsync(TaskCompletionSource<bool> waiter, LinkedListNode<TaskCompletionSource<bool>> node, CancellationToken cancellationToken)
    {
        await using (cancellationToken.Register(() =>
        {
            lock (_lock)
            {
                if (node.List is null) return; // already granted
                _waiters.Remove(node);
            }
            waiter.TrySetCanceled(cancellationToken);
        }).ConfigureAwait(false))
        {
            try
            {
                await waiter.Task.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                Interlocked.Decrement(ref _inFlight);
                throw;
            }
        }
        return BreakerAdmission.Acquired;
    }

    /// <summary>Non-blocking admission (Knative's Reserve): true with a slot held, or false with nothing held.</summary>
    public bool TryAcquire()
    {
        if (Interlocked.Increment(ref _inFlight) > _totalSlots)
        {
            Interlocked.Decrement(ref _inFlight);
            return false;
        }
        lock (_lock)
        {
            if (_executing < _capacity && _waiters.Count == 0)
            {
                _executing++;
                return true;
            }
        }
        Interlocked.Decrement(ref _inFlight);
        return false;
    }

    /// <summary>Gives back an executing slot and the admission; wakes the next waiter if capacity allows.</summary>
    public void Release()
    {
        lock (_lock)
        {
            _executing--;
            WakeLocked();
        }
        Interlocked.Decrement(ref _inFlight);
    }

    /// <summary>Sets the executing capacity (clamped to [0, MaxConcurrency]); growth wakes waiters.</summary>
    public void UpdateConcurrency(int capacity)
    {
        capacity = Math.Clamp(capacity, 0, Options.MaxConcurrency);
        lock (_lock)
        {
            _capacity = capacity;
            WakeLocked();
        }
    }

    private void WakeLocked()
    {
        while (_executing < _capacity && _waiters.First is { } first)
        {
            _waiters.RemoveFirst();
            _executing++;
            if (!first.Value.TrySetResult(true)) _executing--; // lost a race with cancellation
        }
    }
}
