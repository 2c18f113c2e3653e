using System.Net;
using Ingress.Local.Runner;

namespace Ingress.Local.Tests;

public sealed class RunnerImageMapTests
{
    [Fact]
    public void Images_yaml_maps_images_to_commands_by_exact_name_then_without_tag()
    {
        var map = ImageMap.Parse("""
            example.com/me/api: ["python3", "/srv/app.py"]
            example.com/me/web:v2: node /srv/web.js
            """);
        Assert.Equal(["python3", "/srv/app.py"], map.CommandFor("example.com/me/api"));
        Assert.Equal(["python3", "/srv/app.py"], map.CommandFor("example.com/me/api:v7"));
        Assert.Equal(["python3", "/srv/app.py"], map.CommandFor("example.com/me/api@sha256:00"));
        Assert.Equal(["node", "/srv/web.js"], map.CommandFor("example.com/me/web:v2"));
        Assert.Null(map.CommandFor("example.com/me/web:v3"));
        Assert.Null(map.CommandFor("localhost:5000/other"));
    }

    [Fact]
    public void An_empty_command_is_an_error() =>
        Assert.Throws<FormatException>(() => ImageMap.Parse("example.com/x: []"));

    [Fact]
    public void Missing_images_yaml_is_an_empty_map() =>
        Assert.Null(ImageMap.Load(Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("n"), "images.yaml")).CommandFor("x"));

    [Fact]
    public void Readiness_probe_is_pointed_at_where_the_app_listens()
    {
        var app = new IPEndPoint(IPAddress.Parse("127.0.0.1"), 40123);
        Assert.Equal("""{"tcpSocket":{"port":40123,"host":"127.0.0.1"},"successThreshold":1}""",
            Replica.RewriteProbe("""{"tcpSocket":{"port":8080,"host":"127.0.0.1"},"successThreshold":1}""", 8080, app));
        Assert.Equal("""[{"httpGet":{"path":"/healthz","port":40123,"host":"127.0.0.1"}}]""",
            Replica.RewriteProbe("""[{"httpGet":{"path":"/healthz","port":0}}]""", 8080, app));
        Assert.Equal("""{"httpGet":{"port":9999,"host":"127.0.0.1"}}""", Replica.RewriteProbe("""{"httpGet":{"port":9999}}""", 8080, app));
    }
}
