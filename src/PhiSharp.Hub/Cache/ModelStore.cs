namespace PhiSharp.Hub;

/// <summary>A model the store holds: <paramref name="Name"/> is what <c>--model</c> and <c>phi rm</c> take to find it
/// again (an alias where one maps to it).</summary>
/// <param name="Kind">gguf, safetensors (a Hugging Face folder) or converted (a GGUF PhiSharp made from one).</param>
public sealed record StoredModel(string Name, string Kind, long Bytes, string Path);

/// <summary>What <see cref="ModelStore.Remove"/> deleted.</summary>
public sealed record RemovedModel(IReadOnlyList<string> Files, long BytesFreed);

/// <summary>
/// The models in the Hugging Face cache and PhiSharp's converted folder: listing them, and removing one so that a blob
/// is deleted only when no snapshot in its repository still points to it (the way scan_cache_dir's delete_revisions
/// keeps blobs other revisions share).
/// </summary>
public sealed class ModelStore(HubOptions options)
{
    readonly HubCache _cache = new(options.CacheDirectory);

    public IReadOnlyList<StoredModel> List()
    {
        var models = new List<StoredModel>();
        foreach (string repoId in Repositories())
            foreach (string snapshot in Snapshots(repoId))
            {
                var files = Directory.EnumerateFiles(snapshot, "*", SearchOption.AllDirectories)
                    .Select(f => (Relative: System.IO.Path.GetRelativePath(snapshot, f).Replace('\\', '/'), Bytes: TargetLength(f))).ToList();
                foreach (var gguf in files.Where(f => f.Relative.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase)))
                    models.Add(new StoredModel(DisplayName(repoId, gguf.Relative), "gguf", gguf.Bytes,
                        System.IO.Path.Combine(snapshot, gguf.Relative)));
                if (files.Any(f => f.Relative == "config.json") && files.Any(f => f.Relative.EndsWith(".safetensors")))
                    models.Add(new StoredModel(DisplayName(repoId, null), "safetensors", files.Sum(f => f.Bytes), snapshot));
            }
        if (Directory.Exists(options.ConvertedDirectory))
            foreach (string file in Directory.EnumerateFiles(options.ConvertedDirectory, "*.gguf", SearchOption.AllDirectories))
            {
                string repoId = RepoIdOf(Directory.GetParent(file)!.Parent!.Name)!;
                string quantization = ConvertedQuantization(file);
                string name = ModelAliases.All.FirstOrDefault(a => a.SourceRepo == repoId && a.GgufFiles?.ContainsKey(quantization) != true) is { } alias
                    ? (quantization == ModelName.DefaultQuantization ? alias.Name : $"{alias.Name}:{quantization}")
                    : $"{repoId}:{quantization}";
                models.Add(new StoredModel(name, "converted", new FileInfo(file).Length, file));
            }
        return models.OrderBy(m => m.Name, StringComparer.OrdinalIgnoreCase).ToList();
    }

    /// <summary>Removes what a name refers to: a repository's file (<c>repo:file</c>, or an alias's GGUF file), a converted
    /// GGUF with the safetensors it was made from (an alias or <c>repo:quantization</c> that needed conversion), or a
    /// whole repository with its converted files (<c>repo</c>).</summary>
    public RemovedModel Remove(ModelName name)
    {
        var pointers = new List<(string RepoId, string Pointer)>();
        var converted = new List<string>();
        switch (name)
        {
            case ModelName.RepositoryFile f:
                pointers.AddRange(Pointers(f.RepoId, file => file == f.FileName));
                break;
            case ModelName.Repository { QuantizationGiven: false } r:
                pointers.AddRange(Pointers(r.RepoId, _ => true));
                converted.AddRange(ConvertedFiles(r.RepoId, null));
                break;
            case ModelName.Repository r:
                pointers.AddRange(Pointers(r.RepoId, file => file.EndsWith(".gguf") && GgufChooser.Matches(file, r.Quantization)));
                converted.AddRange(ConvertedFiles(r.RepoId, r.Quantization));
                break;
            case ModelName.Alias { Entry.GgufFiles: { } files, Entry.GgufRepo: { } ggufRepo } a when files.TryGetValue(a.Quantization, out string? file):
                pointers.AddRange(Pointers(ggufRepo, f => f == file));
                break;
            case ModelName.Alias a:
                converted.AddRange(ConvertedFiles(a.Entry.SourceRepo, a.Quantization));
                if (converted.Count > 0) pointers.AddRange(Pointers(a.Entry.SourceRepo, _ => true));
                break;
        }
        if (pointers.Count == 0 && converted.Count == 0)
            throw new HubException($"'{Describe(name)}' is not in the store ({options.CacheDirectory}); `phi list` shows what is");

        var removed = new List<string>();
        long freed = 0;
        foreach (string file in converted)
        {
            freed += new FileInfo(file).Length;
            File.Delete(file);
            removed.Add(file);
            DeleteEmptyFolders(System.IO.Path.GetDirectoryName(file)!, options.ConvertedDirectory);
        }
        foreach (var repo in pointers.GroupBy(p => p.RepoId))
        {
            var blobs = repo.Select(p => BlobOf(p.Pointer)).Where(b => b is not null).Select(b => b!).ToHashSet();
            foreach (var (_, pointer) in repo)
            {
                File.Delete(pointer);
                removed.Add(pointer);
            }
            // A blob another snapshot still points to stays (huggingface_hub shares blobs between revisions).
            var stillUsed = Snapshots(repo.Key).SelectMany(s => Directory.EnumerateFiles(s, "*", SearchOption.AllDirectories))
                .Select(BlobOf).Where(b => b is not null).ToHashSet();
            foreach (string blob in blobs.Where(b => !stillUsed.Contains(b) && File.Exists(b)))
            {
                freed += new FileInfo(blob).Length;
                File.Delete(blob);
            }
            Tidy(repo.Key);
        }
        return new RemovedModel(removed, freed);
    }

    IEnumerable<string> Repositories() => !Directory.Exists(options.CacheDirectory) ? []
        : Directory.EnumerateDirectories(options.CacheDirectory, "models--*").Select(d => RepoIdOf(System.IO.Path.GetFileName(d))!)
            .Order(StringComparer.Ordinal);

    IEnumerable<string> Snapshots(string repoId)
    {
        string folder = System.IO.Path.Combine(_cache.RepoFolder(repoId), "snapshots");
        return Directory.Exists(folder) ? Directory.EnumerateDirectories(folder).Order(StringComparer.Ordinal) : [];
    }

    IEnumerable<(string, string)> Pointers(string repoId, Func<string, bool> select) =>
        Snapshots(repoId).SelectMany(s => Directory.EnumerateFiles(s, "*", SearchOption.AllDirectories)
            .Where(f => select(System.IO.Path.GetRelativePath(s, f).Replace('\\', '/'))).Select(f => (repoId, f))).ToList();

    IEnumerable<string> ConvertedFiles(string repoId, string? quantization)
    {
        string folder = System.IO.Path.Combine(options.ConvertedDirectory, System.IO.Path.GetFileName(_cache.RepoFolder(repoId)));
        return !Directory.Exists(folder) ? []
            : Directory.EnumerateFiles(folder, "*.gguf", SearchOption.AllDirectories)
                .Where(f => quantization is null || ConvertedQuantization(f) == quantization).ToList();
    }

    /// <summary>Empty snapshot folders go, refs to snapshots that are gone go (scan_cache_dir calls a ref to a missing
    /// commit a corrupted cache), and a repository with no snapshot left goes whole.</summary>
    void Tidy(string repoId)
    {
        foreach (string snapshot in Snapshots(repoId).ToList()) DeleteEmptyFolders(snapshot, snapshot, includeStop: true);
        string repoFolder = _cache.RepoFolder(repoId), refs = System.IO.Path.Combine(repoFolder, "refs");
        if (Directory.Exists(refs))
            foreach (string reference in Directory.EnumerateFiles(refs, "*", SearchOption.AllDirectories).ToList())
                if (!Directory.Exists(_cache.SnapshotFolder(repoId, File.ReadAllText(reference).Trim()))) File.Delete(reference);
        if (!Snapshots(repoId).Any()) Directory.Delete(repoFolder, recursive: true);
    }

    static void DeleteEmptyFolders(string folder, string stop, bool includeStop = false)
    {
        for (var dir = new DirectoryInfo(folder); dir is not null && dir.Exists; dir = dir.Parent)
        {
            bool atStop = System.IO.Path.GetFullPath(dir.FullName).TrimEnd('/') == System.IO.Path.GetFullPath(stop).TrimEnd('/');
            if (atStop && !includeStop) return;
            if (dir.EnumerateFileSystemInfos().Any())
            {
                foreach (var sub in dir.EnumerateDirectories("*", SearchOption.AllDirectories).OrderByDescending(d => d.FullName.Length))
                    if (!sub.EnumerateFileSystemInfos().Any()) sub.Delete();
                if (dir.EnumerateFileSystemInfos().Any()) return;
            }
            dir.Delete();
            if (atStop) return;
        }
    }

    static string? BlobOf(string pointer) =>
        File.ResolveLinkTarget(pointer, returnFinalTarget: true) is { } target ? System.IO.Path.GetFullPath(target.FullName) : null;

    static long TargetLength(string pointer) =>
        File.ResolveLinkTarget(pointer, returnFinalTarget: true) is FileInfo { Exists: true } target ? target.Length : new FileInfo(pointer).Length;

    static string? RepoIdOf(string folderName) =>
        folderName.StartsWith("models--") ? folderName["models--".Length..].Replace("--", "/") : null;

    /// <summary>Converted files are named <c>&lt;model&gt;-&lt;quantization&gt;.gguf</c>.</summary>
    static string ConvertedQuantization(string file) =>
        ModelName.Quantizations.FirstOrDefault(q => System.IO.Path.GetFileNameWithoutExtension(file).EndsWith("-" + q)) ?? "";

    static string DisplayName(string repoId, string? file)
    {
        foreach (var alias in ModelAliases.All)
        {
            if (file is not null && alias.GgufRepo == repoId && alias.GgufFiles!.FirstOrDefault(f => f.Value == file) is { Key: { } q })
                return q == ModelName.DefaultQuantization ? alias.Name : $"{alias.Name}:{q}";
        }
        return file is null ? repoId : $"{repoId}:{file}";
    }

    static string Describe(ModelName name) => name switch
    {
        ModelName.Alias a => a.QuantizationGiven ? $"{a.Entry.Name}:{a.Quantization}" : a.Entry.Name,
        ModelName.Repository r => r.QuantizationGiven ? $"{r.RepoId}:{r.Quantization}" : r.RepoId,
        ModelName.RepositoryFile f => $"{f.RepoId}:{f.FileName}",
        _ => name.ToString(),
    };
}
