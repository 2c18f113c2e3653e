"""Schema descriptions for autoscaling.internal.knative.dev/v1alpha1: PodAutoscaler, Metric.
Properties are listed in the order of the upstream Go struct (or proto) fields."""
from common import *

AS = "autoscaling.internal.knative.dev"
AS_CATS = ["knative-internal", "autoscaling"]
LABELS = {"app.kubernetes.io/name": "knative-serving", "knative.dev/crd-install": "true"}

def pa():
    spec = obj("PodAutoscalerSpec holds the desired state of the PodAutoscaler (from the client).", [
        ("containerConcurrency", i64("ContainerConcurrency is the revision's hard limit of concurrent requests per replica "
                                     "(0 means unlimited). Copied from the Revision spec.")),
        ("scaleTargetRef", object_reference("ScaleTargetRef is the object (a Deployment) whose replica count is scaled.")),
        ("reachability", en("Reachability says whether a Route references the revision: Reachable, Unreachable, or empty "
                            "(unknown). Unreachable revisions may scale to zero regardless of min-scale.",
                            ["Reachable", "Unreachable"])),
        ("protocolType", protocol_type("ProtocolType is the protocol the revision's container serves: http1 or h2c.")),
    ], required=["scaleTargetRef", "protocolType"])
    status = obj("PodAutoscalerStatus communicates the observed state of the PodAutoscaler. "
                 "Conditions: Ready, Active, ScaleTargetInitialized, SKSReady.", duck_status_props() + [
        ("serviceName", s("ServiceName is the name of the public Kubernetes Service of the revision's SKS.")),
        ("metricsServiceName", s("MetricsServiceName is the Kubernetes Service the autoscaler scrapes metrics from "
                                 "(the SKS private service).")),
        ("desiredScale", i32("DesiredScale is the number of replicas the autoscaler wants.")),
        ("actualScale", i32("ActualScale is the number of ready replicas observed.")),
    ])
    schema = top("PodAutoscaler is the Knative abstraction of an autoscaler for one revision; the KPA class scales on "
                 "concurrency or requests per second, using the autoscaling.knative.dev/* annotations it carries.",
                 spec, status)
    cols = [col("DesiredScale", "integer", ".status.desiredScale"),
            col("ActualScale", "integer", ".status.actualScale")] + ready_cols()
    return crd(AS, "PodAutoscaler", "podautoscalers", "podautoscaler", ["kpa", "pa"], AS_CATS, ["v1alpha1"],
               schema, cols, annotations=LABELS)

def metric():
    spec = obj("MetricSpec describes how one revision's metrics are collected and averaged.", [
        ("stableWindow", i64("StableWindow is the averaging window of the stable mode, in nanoseconds (a Go time.Duration).")),
        ("panicWindow", i64("PanicWindow is the averaging window of the panic mode, in nanoseconds (a Go time.Duration).")),
        ("scrapeTarget", s("ScrapeTarget is the name of the Kubernetes Service (the SKS private service) whose pods are "
                           "scraped. Empty means the activator alone reports (target burst capacity -1).")),
    ], required=["stableWindow", "panicWindow", "scrapeTarget"])
    status = obj("MetricStatus reflects the status of metric collection. Conditions: Ready.", duck_status_props())
    schema = top("Metric tells the autoscaler's metric collector what to scrape for one revision and over which windows.",
                 spec, status)
    return crd(AS, "Metric", "metrics", "metric", None, AS_CATS, ["v1alpha1"], schema, ready_cols(), annotations=LABELS)
