using System.Collections.Concurrent;
using Ingress.Autoscaling.Configuration;
using Ingress.Autoscaling.Metrics;
using Ingress.Autoscaling.Scaling;
using Ingress.Autoscaling.Scraping;
using Microsoft.Extensions.Logging;

namespace Ingress.Autoscaling;

/// <summary>
/// The autoscaler's moving parts for all revisions, in one place: metric collector (1 s scrapes), multiscaler
/// (2 s decisions) and the revision's pod sources. The PodAutoscaler reconciler calls <see cref="Apply"/>
/// (spec §6.1 steps 2–3: decider and Metric) and then <see cref="KpaDecisions.Reconcile"/> with the returned
/// status; the activator's stats arrive through <see cref="StatServer"/> or <see cref="Deliver"/>.
/// </summary>
public sealed class AutoscalerRuntime : IReadyPodCounter
{
    private sealed record Revision(IReadyPodSource Pods, Uri? ServiceUrl, StatScraper? Scraper);

    private readonly ConcurrentDictionary<RevisionKey, Revision> _revisions = new();
    private readonly TimeProvider _time;
    private readonly HttpClient? _client;

    public AutoscalerRuntime(TimeProvider? time = null, ILoggerFactory? loggers = null, AutoscalerTelemetry? telemetry = null, HttpClient? client = null)
    {
        _time = time ?? TimeProvider.System;
        _client = client;
        Collector = new MetricCollector(_time, loggers?.CreateLogger<MetricCollector>(), telemetry);
        Scaler = new MultiScaler(Collector, this, _time, loggers?.CreateLogger<MultiScaler>(), telemetry);
    }

    public MetricCollector Collector { get; }

    public MultiScaler Scaler { get; }

    /// <summary>Creates or updates a revision's windows, scraper and decider; returns the decider's status.</summary>
    /// <param name="pods">The revision's ready pods.</param>
    /// <param name="serviceUrl">Private service metrics URL for the mesh fallback (null: none).</param>
    public DeciderStatus Apply(RevisionKey key, RevisionAutoscaling settings, Reachability reachability, IReadyPodSource pods, Uri? serviceUrl)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(pods);
        var metricSpec = MetricSpec.From(settings);
        var revision = _revisions.AddOrUpdate(key,
            _ => new Revision(pods, serviceUrl, NewScraper(metricSpec, pods, serviceUrl)),
            (_, old) => old.Pods == pods && old.ServiceUrl == serviceUrl && (old.Scraper is not null) == metricSpec.HasScrapeTarget
                ? old // keep the scraper: it remembers whether pods are addressable
                : new Revision(pods, serviceUrl, NewScraper(metricSpec, pods, serviceUrl)));
        Collector.CreateOrUpdate(key, metricSpec, revision.Scraper);
        return Scaler.CreateOrUpdate(key, settings.ToDeciderSpec(reachability));
    }

    private StatScraper? NewScraper(MetricSpec spec, IReadyPodSource pods, Uri? serviceUrl) =>
        spec.HasScrapeTarget ? new StatScraper(pods, serviceUrl, _time, _client) : null;

    /// <summary>Forgets a deleted revision.</summary>
    public void Remove(RevisionKey key)
    {
        Scaler.Delete(key);
        Collector.Delete(key);
        _revisions.TryRemove(key, out _);
    }

    /// <summary>An activator stat: record, then poke.</summary>
    public void Deliver(RevisionKey key, Api.Metrics.Stat stat) => StatServer.Deliver(Collector, Scaler, key, stat);

    /// <summary>Ready pods of a known revision; 0 for an unknown one (Kubernetes NotFound semantics).</summary>
    public int ReadyCount(RevisionKey key) => _revisions.TryGetValue(key, out var r) ? r.Pods.ReadyPods().Count : 0;

    /// <summary>Runs the scrape and decision loops until cancelled.</summary>
    public Task RunAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(Collector.RunAsync(cancellationToken), Scaler.RunAsync(cancellationToken));
}
