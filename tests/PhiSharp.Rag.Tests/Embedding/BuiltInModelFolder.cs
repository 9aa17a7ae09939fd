using PhiSharp.Models.Bert;
using PhiSharp.Rag.Embedding;

namespace PhiSharp.Rag.Tests.Embedding;

/// <summary>The built-in model converted once into a temporary folder (not the user's cache) and loaded, shared by a test class.</summary>
public sealed class BuiltInModelFolder : IDisposable
{
    readonly TempDirectory _directory = new();

    public string Folder => _directory.File(BuiltInEmbeddingModel.ModelId);
    public BertEmbeddingGenerator Embedder { get; }

    public BuiltInModelFolder() => Embedder = BuiltInEmbeddingModel.Load(Folder);

    public void Dispose()
    {
        Embedder.Dispose();
        _directory.Dispose();
    }
}
