using System.Text.Json.Nodes;
using Ingress.Api.ApiExtensions.V1;

namespace Ingress.Api.Tests;

/// <summary>
/// Acceptance: every document in examples/ and every CRD in crds/ reads into typed models and writes back to
/// equivalent JSON (order-insensitive), with every field typed (nothing left in AdditionalProperties).
/// </summary>
public class RoundTripTests
{
    public static TheoryData<string, int> ExampleDocuments() => Documents("examples");

    public static TheoryData<string, int> CrdDocuments() => Documents("crds");

    private static TheoryData<string, int> Documents(string folder)
    {
        var data = new TheoryData<string, int>();
        foreach (var file in RepoFiles.Yaml(folder))
        {
            var count = KubeYaml.ParseDocuments(RepoFiles.Read(file)).Count;
            for (var i = 0; i < count; i++)
            {
                data.Add(file, i);
            }
        }
        return data;
    }

    [Fact]
    public void The_repository_has_examples_and_crds_to_check()
    {
        Assert.True(ExampleDocuments().Count() >= 10, "examples/ should hold the tutorial manifests");
        Assert.True(CrdDocuments().Count() >= 14, "crds/ should hold the Knative and Istio CRDs");
    }

    [Theory]
    [MemberData(nameof(ExampleDocuments))]
    public void Example_reads_into_its_kind_and_writes_back_equivalent_json(string file, int index)
    {
        var source = KubeYaml.ParseDocuments(RepoFiles.Read(file))[index];

        var model = KubeJson.FromNodeKnown(source);
        Assert.True(KnownKinds.TryGetByType(model.GetType(), out var known));
        Assert.Equal(source["kind"]!.GetValue<string>(), known.Kind);
        Assert.Equal(source["metadata"]!["name"]!.GetValue<string>(), model.Metadata.Name);

        var written = JsonNode.Parse(KubeJson.Serialize(model, model.GetType()));
        Assert.Null(JsonEquivalence.FirstDifference(source, written));
        Assert.Empty(Untyped.Fields(model));
    }

    [Theory]
    [MemberData(nameof(CrdDocuments))]
    public void Crd_reads_into_the_apiextensions_model_and_writes_back_equivalent_json(string file, int index)
    {
        var source = KubeYaml.ParseDocuments(RepoFiles.Read(file))[index];

        var crd = KubeJson.FromNode<CustomResourceDefinition>(source);
        Assert.NotNull(crd.Spec?.Versions);
        Assert.All(crd.Spec!.Versions!, v => Assert.NotNull(v.Schema?.OpenAPIV3Schema?.Properties));

        var written = JsonNode.Parse(KubeJson.Serialize(crd));
        Assert.Null(JsonEquivalence.FirstDifference(source, written));
        Assert.Empty(Untyped.Fields(crd));
    }

    [Theory]
    [MemberData(nameof(CrdDocuments))]
    public void Every_crd_is_a_known_kind_for_each_served_version(string file, int index)
    {
        var crd = KubeJson.FromNode<CustomResourceDefinition>(KubeYaml.ParseDocuments(RepoFiles.Read(file))[index]);
        var spec = crd.Spec!;
        foreach (var version in spec.Versions!.Where(v => v.Served == true))
        {
            Assert.True(KnownKinds.TryGet(spec.Group!, version.Name!, spec.Names!.Kind!, out var known), $"{spec.Group}/{version.Name} {spec.Names.Kind}");
            Assert.Equal(spec.Names.Plural, known.Plural);
            Assert.Equal(spec.Scope == "Namespaced", known.Namespaced);
            Assert.Equal(spec.Names.ShortNames ?? [], known.ShortNames);
        }
    }
}
