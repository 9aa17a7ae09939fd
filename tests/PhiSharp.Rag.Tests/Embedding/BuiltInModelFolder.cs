using PhiSharp.Models.Bert;
using PhiSharp.Rag.Embedding;

namespace PhiSharp.Rag.Tests.Embedding;

/// <summary>A built-in model (all-MiniLM-L6-v2 unless a subclass names another) converted once into a temporary
/// folder (not the user's cache) and loaded, shared by a test class.</summary>
public class BuiltInModelFolder : IDisposable
{
    readonly TempDirectory _directory = new();

    public BuiltInPackage Package { get; }
    public string Folder => _directory.File(Package.ModelId);
    public BertEmbeddingGenerator Embedder { get; }

    public BuiltInModelFolder() : this(BuiltInPackage.MiniLM) { }

    protected BuiltInModelFolder(BuiltInPackage package)
    {
        Package = package;
        Embedder = BuiltInEmbeddingModel.Load(package, Folder);
    }

    public void Dispose()
    {
        Embedder.Dispose();
        _directory.Dispose();
    }
}

/// <summary>snowflake-arctic-embed-xs, hybrid search's companion, converted into a temporary folder.</summary>
public sealed class ArcticXsModelFolder() : BuiltInModelFolder(BuiltInPackage.ArcticXs);
