using Ingress.Kube.Diagnostics;
using Ingress.Kube.Queue;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ingress.Kube.Tests;

/// <summary>The trimmer collects once a burst of work has drained and the queues stayed quiet for a whole period,
/// not during the burst, not for a trickle, and not twice for one burst. It reads real work queues' instruments.</summary>
public sealed class IdleMemoryTrimmerTests
{
    private static async Task DrainAsync(WorkQueue queue)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (queue.Count > 0)
        {
            var key = await queue.GetAsync(timeout.Token);
            queue.Done(key!);
        }
    }

    [Fact]
    public async Task Collects_once_after_a_burst_has_drained_and_the_queues_stayed_idle()
    {
        var name = "trim-" + Guid.NewGuid().ToString("N");
        using var trimmer = new IdleMemoryTrimmer(new IdleMemoryTrimmerOptions { MinimumWork = 100, IncludeQueue = q => q == name }, NullLogger.Instance);
        using var queue = new WorkQueue(new WorkQueueOptions { Name = name });
        using var other = new WorkQueue(new WorkQueueOptions { Name = name + "-other" });
        for (var i = 0; i < 150; i++) queue.Add("k" + i);
        other.Add("not counted");

        Assert.Equal(150, trimmer.Adds);
        Assert.Equal(150, trimmer.Depth);
        Assert.False(trimmer.Tick(), "keys are waiting");
        await DrainAsync(queue);
        Assert.Equal(0, trimmer.Depth);
        Assert.True(trimmer.Tick(), "idle for a whole period after 150 keys");
        Assert.Equal(1, trimmer.Collections);
        Assert.False(trimmer.Tick(), "the same burst is not collected twice");

        // A trickle below the minimum never triggers a collection.
        for (var i = 0; i < 50; i++) queue.Add("t" + i);
        await DrainAsync(queue);
        Assert.False(trimmer.Tick());
        Assert.False(trimmer.Tick());
        Assert.Equal(1, trimmer.Collections);
    }

    [Fact]
    public async Task A_key_added_during_the_last_period_postpones_the_collection()
    {
        var name = "trim-" + Guid.NewGuid().ToString("N");
        using var trimmer = new IdleMemoryTrimmer(new IdleMemoryTrimmerOptions { MinimumWork = 10, IncludeQueue = q => q == name }, NullLogger.Instance);
        using var queue = new WorkQueue(new WorkQueueOptions { Name = name });
        for (var i = 0; i < 20; i++) queue.Add("k" + i);
        await DrainAsync(queue);
        Assert.True(trimmer.Depth == 0);
        // Keys arrived since the last look (none before): empty now, but not yet idle for a period.
        Assert.False(trimmer.Tick());
        queue.Add("late");
        await DrainAsync(queue);
        Assert.False(trimmer.Tick(), "a key came in during the period");
        Assert.True(trimmer.Tick(), "a quiet period has passed");
    }
}
