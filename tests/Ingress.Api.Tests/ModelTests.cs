using System.Text.Json.Nodes;
using Ingress.Api.Core.V1;
using KService = Ingress.Api.Serving.V1.Service;

namespace Ingress.Api.Tests;

public class ModelTests
{
    [Fact]
    public void New_objects_serialize_with_kind_camel_case_and_no_nulls()
    {
        var svc = new KService();
        svc.Metadata.Name = "hello";
        svc.Metadata.Namespace = "default";

        Assert.Equal(
            """{"apiVersion":"serving.knative.dev/v1","kind":"Service","metadata":{"name":"hello","namespace":"default"}}""",
            KubeJson.Serialize(svc));
    }

    [Fact]
    public void Unknown_fields_survive_at_every_level()
    {
        const string json = """
            {"apiVersion":"serving.knative.dev/v1","kind":"Service","metadata":{"name":"x","futureMeta":{"a":1}},
             "spec":{"template":{"spec":{"containers":[{"image":"i","futureField":[1,"two",{"three":3}]}]}},"futureSpec":true},
             "futureTop":"kept"}
            """;

        var svc = KubeJson.Deserialize<KService>(json);

        Assert.Equal("i", svc.Spec!.Template!.Spec!.Containers![0].Image);
        Assert.True(svc.AdditionalProperties!.ContainsKey("futureTop"));
        Assert.Null(JsonEquivalence.FirstDifference(JsonNode.Parse(json), KubeJson.ToNode(svc)));
    }

    [Fact]
    public void Serving_v1alpha1_manifests_read_into_the_v1_classes_and_keep_their_api_version()
    {
        var node = KubeYaml.ParseDocuments("""
            apiVersion: serving.knative.dev/v1alpha1
            kind: Service
            metadata: {name: old}
            spec:
              template:
                spec:
                  containers: [{image: img}]
            """)[0];

        var obj = KubeJson.FromNodeKnown(node);

        var svc = Assert.IsType<KService>(obj);
        Assert.Equal("serving.knative.dev/v1alpha1", svc.ApiVersion);
        Assert.Equal("img", svc.Spec!.Template!.Spec!.Containers![0].Image);
    }

    [Fact]
    public void Known_kinds_resolve_by_version_resource_type_and_name()
    {
        Assert.True(KnownKinds.TryGetByApiVersion("serving.knative.dev/v1beta1", "Service", out var ksvc));
        Assert.Equal(typeof(KService), ksvc.Type);
        Assert.Equal("services", ksvc.Plural);
        Assert.Equal(typeof(KubernetesList<KService>), ksvc.ListType);

        Assert.True(KnownKinds.TryGetByResource("", "v1", "configmaps", out var cm));
        Assert.Equal(typeof(ConfigMap), cm.Type);
        Assert.Equal("v1", cm.ApiVersion);

        Assert.False(KnownKinds.TryGetByApiVersion("serving.knative.dev/v2", "Service", out _));
        Assert.Equal("services", KnownKinds.Get<Service>().Plural);
        Assert.Equal("serving.knative.dev", Assert.Single(KnownKinds.FindByName("ksvc")).Group);
        Assert.Equal(2, KnownKinds.FindByName("services").Count);
        Assert.Single(KnownKinds.FindByName("services.serving.knative.dev"));
        Assert.Equal("Ingress", Assert.Single(KnownKinds.FindByName("kingress")).Kind);
        Assert.False(KnownKinds.Get<Namespace>().Namespaced);
    }

    [Fact]
    public void Static_kind_identity_is_available_to_generic_code()
    {
        Assert.Equal("networking.internal.knative.dev/v1alpha1", Describe<Networking.V1Alpha1.Ingress>());
        Assert.Equal("v1", Describe<Pod>());

        static string Describe<T>() where T : class, IKubernetesObject<T>, new() => T.ApiVersionValue;
    }

    [Fact]
    public void Lists_and_watch_events_use_the_generated_context()
    {
        var list = KubeJson.Deserialize<KubernetesList<ConfigMap>>("""
            {"apiVersion":"v1","kind":"ConfigMapList","metadata":{"resourceVersion":"7"},
             "items":[{"metadata":{"name":"a"},"data":{"k":"v"}}]}
            """);
        var watch = KubeJson.Deserialize<WatchEvent<ConfigMap>>("""{"type":"MODIFIED","object":{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"b"}}}""");

        Assert.Equal("7", list.Metadata.ResourceVersion);
        Assert.Equal("v", list.Items[0].Data!["k"]);
        Assert.Equal(WatchEventTypes.Modified, watch.Type);
        Assert.Equal("b", watch.Object!.Metadata.Name);
    }

    [Fact]
    public void Revision_containers_are_core_containers()
    {
        var rev = KubeJson.Deserialize<Serving.V1.Revision>("""
            {"spec":{"containers":[{"name":"user","image":"i","ports":[{"containerPort":8080}],
              "readinessProbe":{"httpGet":{"port":"http"}},"resources":{"limits":{"cpu":"1"}}}],"containerConcurrency":0}}
            """);

        Container container = rev.Spec!.Containers![0];
        var pod = new PodSpec { Containers = [KubeJson.Clone(container)] };

        Assert.Equal(8080, pod.Containers[0].Ports![0].ContainerPortValue);
        Assert.Equal("http", pod.Containers[0].ReadinessProbe!.HttpGet!.Port!.Value.StringValue);
        Assert.Equal(0, rev.Spec.ContainerConcurrency);
    }

    [Fact]
    public void Kingress_spec_serializes_in_schema_order()
    {
        var ing = new Networking.V1Alpha1.Ingress
        {
            Spec = new Networking.V1Alpha1.IngressSpec
            {
                HttpOption = "Enabled",
                Rules =
                [
                    new Networking.V1Alpha1.IngressRule
                    {
                        Visibility = "ExternalIP",
                        Hosts = ["a.example.com"],
                        Http = new Networking.V1Alpha1.HTTPIngressRuleValue
                        {
                            Paths = [new Networking.V1Alpha1.HTTPIngressPath
                            {
                                Splits = [new Networking.V1Alpha1.IngressBackendSplit { Percent = 100, ServicePort = 80, ServiceName = "s", ServiceNamespace = "ns" }],
                            }],
                        },
                    },
                ],
            },
        };

        Assert.Equal(
            """{"rules":[{"hosts":["a.example.com"],"visibility":"ExternalIP","http":{"paths":[{"splits":[{"serviceNamespace":"ns","serviceName":"s","servicePort":80,"percent":100}]}]}}],"httpOption":"Enabled"}""",
            KubeJson.Serialize(ing.Spec));
    }
}

public class ManifestTests
{
    [Fact]
    public void Manifests_read_as_their_kinds_and_write_back_as_yaml()
    {
        var text = RepoFiles.Read("examples/domain-mapping/domain-mapping.yaml");

        var objects = KubeJson.ReadManifests(text);

        Assert.Collection(objects,
            o => Assert.IsType<Networking.V1Alpha1.ClusterDomainClaim>(o),
            o => Assert.Equal("helloworld-go", Assert.IsType<Serving.V1Beta1.DomainMapping>(o).Spec!.Ref!.Name));
        var again = KubeYaml.ParseDocuments(KubeJson.WriteManifests(objects));
        var original = KubeYaml.ParseDocuments(text);
        Assert.Equal(original.Count, again.Count);
        for (var i = 0; i < original.Count; i++)
        {
            Assert.Null(JsonEquivalence.FirstDifference(original[i], again[i]));
        }
    }

    [Fact]
    public void Typed_yaml_round_trip()
    {
        var cm = KubeJson.FromYaml<Core.V1.ConfigMap>("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: config-domain}\ndata:\n  example.com: \"\"\n");

        Assert.Equal("", cm.Data!["example.com"]);
        Assert.Equal("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: config-domain\ndata:\n  example.com: \"\"\n", KubeJson.ToYaml(cm));
    }
}

public class EveryKindTests
{
    public static TheoryData<string, string> Kinds()
    {
        var data = new TheoryData<string, string>();
        foreach (var k in KnownKinds.All)
        {
            data.Add(k.ApiVersion, k.Kind);
        }
        return data;
    }

    [Fact]
    public void The_registry_covers_the_issue_s_kinds()
    {
        var names = KnownKinds.All.Select(k => $"{k.Group}/{k.Kind}").ToHashSet();
        string[] expected =
        [
            "/ConfigMap", "/Secret", "/Namespace", "/Service", "/Endpoints", "/Pod", "/Event", "apps/Deployment",
            "coordination.k8s.io/Lease", "autoscaling/HorizontalPodAutoscaler", "discovery.k8s.io/EndpointSlice",
            "apiextensions.k8s.io/CustomResourceDefinition", "events.k8s.io/Event",
            "serving.knative.dev/Service", "serving.knative.dev/Configuration", "serving.knative.dev/Revision",
            "serving.knative.dev/Route", "serving.knative.dev/DomainMapping", "networking.internal.knative.dev/Ingress",
            "networking.internal.knative.dev/ServerlessService", "autoscaling.internal.knative.dev/PodAutoscaler",
            "networking.istio.io/VirtualService", "networking.istio.io/Gateway",
        ];
        Assert.All(expected, e => Assert.Contains(e, names));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Every_kind_keeps_unknown_fields_and_has_list_and_watch_metadata(string apiVersion, string kind)
    {
        Assert.True(KnownKinds.TryGetByApiVersion(apiVersion, kind, out var known));
        var source = JsonNode.Parse("""
            {"apiVersion":"","kind":"","metadata":{"name":"x","zzMeta":1},
             "zzTop":{"a":[1,"b",null,{"c":true}]},"spec":{"zzSpec":"kept"}}
            """)!.AsObject();
        source["apiVersion"] = apiVersion;
        source["kind"] = kind;

        var model = KubeJson.FromNodeKnown(source);

        Assert.IsType(known.Type, model);
        Assert.Null(JsonEquivalence.FirstDifference(source, KubeJson.ToNode(model, known.Type)));
        Assert.NotNull(KubeJson.GetTypeInfo(known.ListType));
        Assert.NotNull(KubeJson.GetTypeInfo(known.WatchEventType));
    }
}

public class JsonEqualsTests
{
    [Fact]
    public void Equal_models_compare_equal_and_any_change_is_seen()
    {
        static Core.V1.ConfigMap Make() => new() { Metadata = { Name = "c" }, Data = new() { ["a"] = "1" } };
        var a = Make();
        var b = Make();

        Assert.True(KubeJson.JsonEquals(a, b));
        b.Data!["a"] = "2";
        Assert.False(KubeJson.JsonEquals(a, b));
        Assert.True(KubeJson.JsonEquals<Core.V1.ConfigMap>(null, null));
        Assert.False(KubeJson.JsonEquals(a, null));
    }

    [Fact]
    public void Unknown_fields_count_as_content()
    {
        var a = KubeJson.Deserialize<Core.V1.ConfigMap>("""{"metadata":{"name":"c"},"extra":1}""");
        var b = KubeJson.Deserialize<Core.V1.ConfigMap>("""{"metadata":{"name":"c"},"extra":2}""");

        Assert.False(KubeJson.JsonEquals(a, b));
    }
}
