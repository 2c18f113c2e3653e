using Ingress.Cli;

namespace Ingress.Cli.Tests;

public class VersionCommandTests
{
    [Fact]
    public async Task VersionPrintsTheExecutableName()
    {
        var output = new StringWriter();
        var result = Program.BuildRoot().Parse(["version"]);
        result.InvocationConfiguration.Output = output;
        var code = await result.InvokeAsync();
        Assert.Equal(0, code);
        Assert.StartsWith("ingress ", output.ToString());
    }

    [Fact]
    public async Task UnknownVerbFailsWithNonZeroExit()
    {
        var result = Program.BuildRoot().Parse(["no-such-verb"]);
        result.InvocationConfiguration.Error = new StringWriter();
        Assert.NotEqual(0, await result.InvokeAsync());
    }
}
