namespace PhiSharp.Hub;

/// <summary>What a pull produced: the file or folder to load, and where it came from.</summary>
/// <param name="Path">A GGUF file, or a Hugging Face folder (a snapshot) for a model loaded as it is.</param>
/// <param name="Converted">True when the GGUF was made from safetensors by PhiSharp.</param>
public sealed record PulledModel(string Path, string RepoId, string Commit, bool Converted);

/// <summary>
/// <c>phi pull</c>: turns a model name into a file on disk, downloading what the cache lacks and converting a
/// safetensors repository to GGUF once. Files land in the Hugging Face cache exactly as hf_hub_download puts them,
/// so Python tools find them and PhiSharp finds theirs.
/// </summary>
public sealed class ModelPuller : IDisposable
{
    const string Revision = "main";

    /// <summary>What a safetensors folder needs besides its weights (tokenizer.model for SentencePiece-only repositories,
    /// cl100k_base.tiktoken for Phi-3-small's, which have no tokenizer.json).</summary>
    static readonly string[] FolderFiles =
    [
        "config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "tokenizer.model",
        "special_tokens_map.json", "added_tokens.json", "model.safetensors.index.json", "cl100k_base.tiktoken",
    ];

    readonly HubOptions _options;
    readonly HubClient _client;
    readonly HubCache _cache;
    readonly FileDownloader _downloader;

    public ModelPuller(HubOptions options)
    {
        _options = options;
        _client = new HubClient(options);
        _cache = new HubCache(options.CacheDirectory);
        _downloader = new FileDownloader(options, _client, _cache);
    }

    public void Dispose() => _client.Dispose();

    public Task<PulledModel> PullAsync(string name, IProgress<PullProgress>? progress = null, CancellationToken cancellation = default) =>
        PullAsync(ModelName.Parse(name), progress, cancellation);

    public async Task<PulledModel> PullAsync(ModelName name, IProgress<PullProgress>? progress = null, CancellationToken cancellation = default)
    {
        switch (name)
        {
            case ModelName.RepositoryFile f:
                return await FileAsync(f.RepoId, f.FileName, progress, cancellation);
            case ModelName.Alias { Entry: { GgufRepo: { } repo, GgufFiles: { } files } } a when files.TryGetValue(a.Quantization, out string? file):
                return await FileAsync(repo, file, progress, cancellation);
            case ModelName.Alias a:
                return await RepositoryAsync(a.Entry.SourceRepo, a.Quantization, a.QuantizationGiven, progress, cancellation);
            case ModelName.Repository r:
                return await RepositoryAsync(r.RepoId, r.Quantization, r.QuantizationGiven, progress, cancellation);
            default:
                throw new ArgumentOutOfRangeException(nameof(name));
        }
    }

    async Task<PulledModel> FileAsync(string repoId, string file, IProgress<PullProgress>? progress, CancellationToken cancellation)
    {
        string path = await _downloader.DownloadAsync(repoId, file, Revision, progress, cancellation);
        return new PulledModel(path, repoId, CommitOf(path), Converted: false);
    }

    /// <summary>A repository: its GGUF file of the quantization if it has one; else its safetensors, converted.</summary>
    async Task<PulledModel> RepositoryAsync(string repoId, string quantization, bool quantizationGiven, IProgress<PullProgress>? progress,
        CancellationToken cancellation)
    {
        var listing = await FilesAsync(repoId, cancellation);
        var (commit, files) = (listing.Commit, listing.Files.Select(f => f.Name).ToList());
        if (GgufChooser.Choose(files, quantization, quantizationGiven) is { } gguf) return await FileAsync(repoId, gguf, progress, cancellation);
        if (files.Any(f => f.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase)))
            throw new HubException($"'{repoId}' has no {quantization} GGUF file; its GGUF files are " +
                                   string.Join(", ", files.Where(f => f.EndsWith(".gguf"))) + $" (pull one as {repoId}:FILE)");
        if (!files.Contains("config.json") || !files.Any(f => f.EndsWith(".safetensors")))
            throw new HubException($"'{repoId}' holds neither GGUF files nor a safetensors model (config.json and *.safetensors)");

        string converted = Conversion.OutputPath(_options, repoId, commit, quantization);
        if (File.Exists(converted)) return new PulledModel(converted, repoId, commit, Converted: true);
        var folder = await FolderAsync(repoId, listing, progress, cancellation);
        try
        {
            Conversion.Run(repoId, folder.Path, converted, quantization, progress, cancellation);
        }
        catch (HubException e) when (e.InnerException is UnsupportedModelException && !quantizationGiven)
        {
            // A checkpoint phi quantize cannot convert (an architecture or a variant llama.cpp's GGUF has no place for) may
            // still load as a folder; a quantization that was asked for cannot be had, and says so.
            return folder;
        }
        return new PulledModel(converted, repoId, folder.Commit, Converted: true);
    }

    async Task<PulledModel> FolderAsync(string repoId, (string Commit, IReadOnlyList<RepositoryFileInfo> Files) listing,
        IProgress<PullProgress>? progress, CancellationToken cancellation)
    {
        var wanted = listing.Files.Where(f => FolderFiles.Contains(f.Name) || (f.Name.EndsWith(".safetensors") && !f.Name.Contains('/'))).ToList();
        // The whole folder is checked first (each file is checked again as it comes), so a model of several shards does
        // not stop for want of space after gigabytes of them.
        long needed = wanted.Where(f => _cache.Find(repoId, f.Name, Revision) is null).Sum(f => f.Size ?? 0), free = _options.FreeBytes(_options.CacheDirectory);
        if (needed > free)
            throw new HubException($"not enough disk space for '{repoId}': its files need {FileDownloader.Size(needed)} and " +
                                   $"{_options.CacheDirectory} has {FileDownloader.Size(free)} free; free some space, or set HF_HUB_CACHE to a larger disk");
        string? path = null;
        foreach (var file in wanted) path = await _downloader.DownloadAsync(repoId, file.Name, Revision, progress, cancellation);
        string folder = Path.GetDirectoryName(path!)!;
        return new PulledModel(folder, repoId, Path.GetFileName(folder), Converted: false);
    }

    /// <summary>The repository's files at main: from the model API, or offline (or with the Hub unreachable) from the
    /// snapshot the cache has for main.</summary>
    async Task<(string Commit, IReadOnlyList<RepositoryFileInfo> Files)> FilesAsync(string repoId, CancellationToken cancellation)
    {
        if (!_options.Offline)
        {
            try
            {
                var info = await _client.GetRepositoryAsync(repoId, Revision, cancellation);
                return (info.Commit, info.Files);
            }
            catch (HubException e) when (e.CacheMayAnswer && _cache.CachedFiles(repoId, Revision) is not null) { }
        }
        return _cache.CachedFiles(repoId, Revision) is { } cached
            ? (_cache.ReadRef(repoId, Revision)!, cached.Select(f => new RepositoryFileInfo(f, null)).ToList())
            : throw new HubException($"'{repoId}' is not in the cache ({_options.CacheDirectory}) and offline mode is on (--offline or HF_HUB_OFFLINE)");
    }

    static string CommitOf(string pointer) => Path.GetFileName(SnapshotRoot(pointer));

    /// <summary>The snapshots/&lt;commit&gt; folder a pointer lies in (a file may be nested in folders of the repository).</summary>
    static string SnapshotRoot(string pointer)
    {
        var dir = new DirectoryInfo(Path.GetDirectoryName(pointer)!);
        while (dir.Parent is { Name: not "snapshots" } parent) dir = parent;
        return dir.FullName;
    }
}
