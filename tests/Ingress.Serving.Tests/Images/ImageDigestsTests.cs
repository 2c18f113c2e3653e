using System.Text.Json.Nodes;
using Ingress.Serving.Images;

namespace Ingress.Serving.Tests.Images;

/// <summary>The Revision side of digest resolution: images in spec order, "already resolved", and the statuses written.</summary>
public sealed class ImageDigestsTests
{
    private static JsonObject Revision(string status = "{}") => JsonNode.Parse($$"""
        {"spec":{"initContainers":[{"name":"init","image":"reg.example/init:v1"}],
                 "containers":[{"name":"user-container","image":"reg.example/app:v1"},{"name":"sidecar","image":"ko.local/side"},{"name":"twin","image":"reg.example/app:v1"}]},
         "status":{{status}}}
        """)!.AsObject();

    [Fact]
    public void ImagesListInitContainersFirstInSpecOrder() =>
        Assert.Equal(["reg.example/init:v1", "reg.example/app:v1", "ko.local/side", "reg.example/app:v1"], ImageDigests.Images(Revision()));

    [Fact]
    public void StatusesPerContainerWithDigestOmittedWhenSkipped()
    {
        var rev = Revision();
        Assert.False(ImageDigests.AlreadyResolved(rev));
        ImageDigests.SetStatuses(rev, new Dictionary<string, string>
        {
            ["reg.example/init:v1"] = "reg.example/init@sha256:1", ["reg.example/app:v1"] = "reg.example/app@sha256:2", ["ko.local/side"] = "",
        });
        Assert.Equal("""[{"name":"init","imageDigest":"reg.example/init@sha256:1"}]""", rev["status"]!["initContainerStatuses"]!.ToJsonString());
        Assert.Equal("""[{"name":"user-container","imageDigest":"reg.example/app@sha256:2"},{"name":"sidecar"},{"name":"twin","imageDigest":"reg.example/app@sha256:2"}]""",
            rev["status"]!["containerStatuses"]!.ToJsonString());
        Assert.True(ImageDigests.AlreadyResolved(rev));
    }

    [Fact]
    public void PartialStatusesAreNotResolved() =>
        Assert.False(ImageDigests.AlreadyResolved(Revision("""{"containerStatuses":[{"name":"user-container"}]}""")));

    [Fact]
    public void ContainerMissingMessageIsUpstreams() =>
        Assert.Equal("Unable to fetch image \"reg.example/app:v1\": failed to resolve image to digest",
            ImageDigests.ContainerMissingMessage("reg.example/app:v1", "failed to resolve image to digest"));
}
