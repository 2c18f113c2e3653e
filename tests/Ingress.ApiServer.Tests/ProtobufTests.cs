using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace Ingress.ApiServer.Tests;

/// <summary>The Kubernetes protobuf encoding of built-in kinds: responses when the Accept asks for it first,
/// request bodies, and the real kubectl (1.32 and 1.33 send and read protobuf for built-in kinds).</summary>
public sealed class ProtobufTests(TestServer server) : IClassFixture<TestServer>
{
    private const string Protobuf = "application/vnd.kubernetes.protobuf";
    private const string KubectlAccept = "application/vnd.kubernetes.protobuf,application/json";

    private static readonly Dictionary<string, (string Path, string Json)> Objects = new()
    {
        ["Pod"] = ("/api/v1/namespaces/default/pods", """
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"pb-pod","labels":{"app":"web"},"annotations":{"a":"b"}},
             "spec":{"containers":[{"name":"c","image":"nginx","args":["-x"],"ports":[{"name":"http","containerPort":80,"protocol":"TCP"}],
               "env":[{"name":"A","value":"b"},{"name":"POD","valueFrom":{"fieldRef":{"fieldPath":"metadata.name"}}}],
               "resources":{"limits":{"cpu":"500m","memory":"128Mi"},"requests":{"cpu":"1"}},
               "readinessProbe":{"httpGet":{"path":"/ready","port":80},"periodSeconds":3},
               "livenessProbe":{"tcpSocket":{"port":"http"}},
               "securityContext":{"runAsNonRoot":true,"runAsUser":1000},
               "volumeMounts":[{"name":"v","mountPath":"/data","readOnly":true}]}],
              "volumes":[{"name":"v","emptyDir":{"sizeLimit":"1Gi"}},{"name":"s","secret":{"secretName":"x","defaultMode":420}}],
              "restartPolicy":"Always","terminationGracePeriodSeconds":30,"nodeSelector":{"disk":"ssd"},
              "tolerations":[{"key":"k","operator":"Exists","effect":"NoSchedule"}]}}
            """),
        ["Service"] = ("/api/v1/namespaces/default/services", """
            {"apiVersion":"v1","kind":"Service","metadata":{"name":"pb-svc"},
             "spec":{"type":"ClusterIP","selector":{"app":"web"},"clusterIP":"10.0.0.10",
               "ports":[{"name":"http","port":80,"targetPort":8080,"protocol":"TCP"},{"name":"named","port":81,"targetPort":"http","protocol":"TCP"}]}}
            """),
        ["Endpoints"] = ("/api/v1/namespaces/default/endpoints", """
            {"apiVersion":"v1","kind":"Endpoints","metadata":{"name":"pb-ep"},
             "subsets":[{"addresses":[{"ip":"10.1.0.1","targetRef":{"kind":"Pod","name":"p","namespace":"default"}}],
               "notReadyAddresses":[{"ip":"10.1.0.2"}],"ports":[{"name":"http","port":8080,"protocol":"TCP"}]}]}
            """),
        ["Deployment"] = ("/apis/apps/v1/namespaces/default/deployments", """
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"pb-deploy"},
             "spec":{"replicas":0,"selector":{"matchLabels":{"app":"web"}},
               "strategy":{"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":"25%","maxSurge":1}},
               "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"c","image":"nginx"}]}}}}
            """),
        ["Event"] = ("/api/v1/namespaces/default/events", """
            {"apiVersion":"v1","kind":"Event","metadata":{"name":"pb-event"},
             "involvedObject":{"kind":"Pod","name":"p","namespace":"default","uid":"u-1"},
             "reason":"Started","message":"started","type":"Normal","count":2,"source":{"component":"kubelet","host":"node1"},
             "firstTimestamp":"2024-01-02T03:04:05Z","lastTimestamp":"2024-01-02T03:04:06Z",
             "eventTime":"2024-01-02T03:04:05.123456Z","reportingComponent":"kubelet","reportingInstance":"node1","action":"Start"}
            """),
        ["ConfigMap"] = ("/api/v1/namespaces/default/configmaps", """
            {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"pb-cm"},"data":{"a":"1"},"binaryData":{"b":"AAEC"}}
            """),
        ["Secret"] = ("/api/v1/namespaces/default/secrets", """
            {"apiVersion":"v1","kind":"Secret","metadata":{"name":"pb-secret"},"type":"Opaque","data":{"p":"cQ=="}}
            """),
        ["Namespace"] = ("/api/v1/namespaces", """
            {"apiVersion":"v1","kind":"Namespace","metadata":{"name":"pb-ns","labels":{"team":"a"}}}
            """),
    };

    private async Task<(string ContentType, byte[] Body, int Code)> GetRawAsync(string path, string accept)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation("Accept", accept);
        using var response = await server.Http.SendAsync(request);
        return (response.Content.Headers.ContentType?.MediaType ?? "", await response.Content.ReadAsByteArrayAsync(), (int)response.StatusCode);
    }

    [Theory]
    [InlineData("Pod")]
    [InlineData("Service")]
    [InlineData("Endpoints")]
    [InlineData("Deployment")]
    [InlineData("Event")]
    [InlineData("ConfigMap")]
    [InlineData("Secret")]
    [InlineData("Namespace")]
    public async Task EachCoreKindIsServedAsProtobufAndReadsBackAsTheSameObject(string kind)
    {
        var (path, json) = Objects[kind];
        var (code, created) = await server.PostAsync(path, JsonNode.Parse(json)!);
        Assert.True(code == 201, created.ToJsonString());
        var name = created["metadata"]!["name"]!.ToString();
        var (_, asJson) = await server.GetAsync(path + "/" + name);

        var (contentType, body, status) = await GetRawAsync(path + "/" + name, KubectlAccept);
        Assert.Equal(200, status);
        Assert.Equal(Protobuf, contentType);
        Assert.Equal("k8s\0"u8.ToArray(), body[..4]);
        var rt = server.Host.Registry.All.Single(t => t.Kind == kind && t.BuiltIn && t.Group == (kind == "Deployment" ? "apps" : ""));
        var decoded = KubeProtobuf.Decode(body, rt);
        Assert.True(JsonNode.DeepEquals(asJson, decoded), $"{asJson.ToJsonString()}\n!=\n{decoded.ToJsonString()}");

        // Lists too, as <Kind>List.
        var listPath = kind == "Namespace" ? path : path + "?fieldSelector=metadata.name=" + name;
        var (listType, listBody, listStatus) = await GetRawAsync(listPath, KubectlAccept);
        Assert.Equal(200, listStatus);
        Assert.Equal(Protobuf, listType);
        Assert.Contains(kind + "List", System.Text.Encoding.ASCII.GetString(listBody));
        // JSON stays the answer when the client prefers it.
        Assert.Equal("application/json", (await GetRawAsync(path + "/" + name, "application/json, " + Protobuf)).ContentType);
    }

    [Fact]
    public async Task AnObjectProtobufCannotCarryIsAnsweredAsJsonOr406()
    {
        var pod = JsonNode.Parse(Objects["Pod"].Json)!.AsObject();
        pod["metadata"]!["name"] = "pb-future";
        pod["spec"]!["fieldFromTheFuture"] = "x"; // built-in kinds keep unknown fields (no schema to prune with)
        Assert.Equal(201, (await server.PostAsync("/api/v1/namespaces/default/pods", pod)).Code);
        var (type, body, code) = await GetRawAsync("/api/v1/namespaces/default/pods/pb-future", KubectlAccept);
        Assert.Equal(200, code);
        Assert.Equal("application/json", type);
        Assert.Equal("x", JsonNode.Parse(body)!["spec"]!["fieldFromTheFuture"]!.ToString());
        var (_, notAcceptable, onlyProtobuf) = await GetRawAsync("/api/v1/namespaces/default/pods/pb-future", Protobuf);
        Assert.Equal(406, onlyProtobuf);
        Assert.Equal("NotAcceptable", JsonNode.Parse(notAcceptable)!["reason"]!.ToString());
    }

    [Fact]
    public async Task APostedProtobufBodyOfEveryServedKindIsDecoded()
    {
        foreach (var kind in new[] { "Deployment", "Service", "Pod" })
        {
            var (path, json) = Objects[kind];
            var obj = JsonNode.Parse(json)!.AsObject();
            obj["metadata"]!["name"] = "pb-posted-" + kind.ToLowerInvariant();
            var rt = server.Host.Registry.All.Single(t => t.Kind == kind && t.BuiltIn && t.Group == (kind == "Deployment" ? "apps" : ""));
            var body = KubeProtobuf.TryEncode(obj, rt)!;
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = MediaTypeHeaderValue.Parse(Protobuf);
            using var response = await server.Http.PostAsync(path, content);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True((int)response.StatusCode == 201, text);
            var stored = (await server.GetAsync(path + "/" + obj["metadata"]!["name"])).Body;
            Assert.True(JsonNode.DeepEquals(obj["spec"], stored["spec"]), $"{obj["spec"]!.ToJsonString()}\n!=\n{stored["spec"]!.ToJsonString()}");
        }
    }

    [Theory]
    [InlineData("/usr/lib/google-cloud-sdk/bin/kubectl.1.32")]
    [InlineData("/usr/lib/google-cloud-sdk/bin/kubectl.1.33")]
    public async Task KubectlCreatesAndDescribesBuiltInKindsOverProtobuf(string kubectl)
    {
        var suffix = kubectl[^2..];
        async Task<string> Run(string args)
        {
            var (rc, stdout, stderr) = await server.KubectlAsync(args, binary: kubectl);
            Assert.True(rc == 0, $"kubectl {args}: {stderr}");
            return stdout;
        }
        Assert.Contains("created", await Run($"create deployment web{suffix} --image=nginx --replicas=2 --port=80"));
        Assert.Contains("created", await Run($"create service clusterip web{suffix} --tcp=80:8080"));
        Assert.Contains("created", await Run($"create configmap cm{suffix} --from-literal=a=b"));
        Assert.Contains("created", await Run($"create secret generic sec{suffix} --from-literal=p=q"));

        // describe reads built-in kinds with Accept: protobuf,json and decodes our protobuf with the real decoder.
        var (_, verbose, log) = await server.KubectlAsync($"describe deployment web{suffix} -v=8", binary: kubectl);
        Assert.Contains("Content-Type: application/vnd.kubernetes.protobuf", verbose + log);
        Assert.Matches(@"Replicas:\s+2 desired", verbose);
        Assert.Contains("Image:", verbose);
        Assert.Matches(@"TargetPort:\s+8080/TCP", await Run($"describe service web{suffix}"));
        Assert.Contains("a:", await Run($"describe configmap cm{suffix}"));
        Assert.Matches(@"p:\s+1 bytes", await Run($"describe secret sec{suffix}"));
        var podFile = server.WriteFile($"pod{suffix}.json", Objects["Pod"].Json.Replace("pb-pod", "kubectl-pod" + suffix));
        Assert.Contains("created", await Run($"create -f {podFile}"));
        var pod = await Run($"describe pod kubectl-pod{suffix}");
        Assert.Matches(@"memory:\s+128Mi", pod);
        Assert.Contains("http-get", pod);
        Assert.Matches(@"SizeLimit:\s+1Gi", pod);
        Assert.Matches(@"Status:\s+Active", await Run("describe namespace default"));
    }
}
