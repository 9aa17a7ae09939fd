namespace PhiSharp.Hub;

/// <summary>
/// Where the Hub is and where its files are kept. <see cref="FromEnvironment"/> reads the variables huggingface_hub
/// reads (constants.py), so a cache written by Python tools is the one PhiSharp reads and writes.
/// </summary>
public sealed record HubOptions
{
    /// <summary>The Hub's base URL (HF_ENDPOINT; https://huggingface.co by default), without a trailing slash.</summary>
    public required string Endpoint { get; init; }

    /// <summary>The cache of repositories, <c>models--org--name/{blobs,snapshots,refs}</c> (HF_HUB_CACHE).</summary>
    public required string CacheDirectory { get; init; }

    /// <summary>GGUF files PhiSharp converted from safetensors repositories: <c>HF_HOME/phisharp/converted</c>, beside
    /// the cache and outside it, so no Python tool mistakes them for a repository.</summary>
    public required string ConvertedDirectory { get; init; }

    /// <summary>No network: only what the cache holds (HF_HUB_OFFLINE, or <c>--offline</c>).</summary>
    public bool Offline { get; init; }

    /// <summary>Sent as <c>Authorization: Bearer</c> to the Hub (HF_TOKEN, or the token file huggingface_hub's login
    /// writes); needed for gated and private repositories.</summary>
    public string? Token { get; init; }

    /// <summary>How long a metadata request (HEAD, model API) may take: HF_HUB_ETAG_TIMEOUT, 10 s by default.</summary>
    public TimeSpan MetadataTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a download may wait for its next bytes: HF_HUB_DOWNLOAD_TIMEOUT, 10 s by default.</summary>
    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Free bytes on the file system holding a folder. Replaceable so that a full disk can be tested.</summary>
    public Func<string, long> FreeBytes { get; init; } = DiskSpace.FreeBytes;

    /// <summary>The options huggingface_hub would use in this environment (constants.py): HF_HOME (default
    /// $XDG_CACHE_HOME/huggingface, else ~/.cache/huggingface), HF_HUB_CACHE (default HF_HOME/hub; the legacy
    /// HUGGINGFACE_HUB_CACHE is honoured too), HF_ENDPOINT, HF_HUB_OFFLINE (1, ON, YES or TRUE, any case; TRANSFORMERS_OFFLINE
    /// too), HF_TOKEN, else the file at HF_TOKEN_PATH (default HF_HOME/token), HF_HUB_ETAG_TIMEOUT and
    /// HF_HUB_DOWNLOAD_TIMEOUT (seconds).</summary>
    public static HubOptions FromEnvironment(Func<string, string?>? variable = null)
    {
        variable ??= Environment.GetEnvironmentVariable;
        string? Get(string name) => variable(name) is { Length: > 0 } value ? value : null;
        string home = Expand(Get("HF_HOME") ?? Path.Combine(Get("XDG_CACHE_HOME") ?? Path.Combine(UserHome(), ".cache"), "huggingface"));
        string cache = Expand(Get("HF_HUB_CACHE") ?? Get("HUGGINGFACE_HUB_CACHE") ?? Path.Combine(home, "hub"));
        string tokenPath = Expand(Get("HF_TOKEN_PATH") ?? Path.Combine(home, "token"));
        string? token = Get("HF_TOKEN") ?? (File.Exists(tokenPath) ? File.ReadAllText(tokenPath).Trim() : null);
        return new HubOptions
        {
            Endpoint = (Get("HF_ENDPOINT") ?? "https://huggingface.co").TrimEnd('/'),
            CacheDirectory = cache,
            ConvertedDirectory = Path.Combine(home, "phisharp", "converted"),
            Offline = IsTrue(Get("HF_HUB_OFFLINE") ?? Get("TRANSFORMERS_OFFLINE")),
            Token = string.IsNullOrEmpty(token) ? null : token,
            MetadataTimeout = Seconds(Get("HF_HUB_ETAG_TIMEOUT")),
            ReadTimeout = Seconds(Get("HF_HUB_DOWNLOAD_TIMEOUT")),
        };
    }

    /// <summary>A whole number of seconds; anything else (or 0) is the default, 10 s, as constants.py's _as_int.</summary>
    static TimeSpan Seconds(string? value) => TimeSpan.FromSeconds(int.TryParse(value, out int s) && s > 0 ? s : 10);

    static bool IsTrue(string? value) => value?.ToUpperInvariant() is "1" or "ON" or "YES" or "TRUE";

    static string UserHome() => Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);

    /// <summary>A leading ~, as Python's os.path.expanduser (constants.py also applies expandvars, which shells have
    /// usually done already).</summary>
    static string Expand(string path) => path == "~" || path.StartsWith("~/") ? UserHome() + path[1..] : path;
}

/// <summary>Free space as huggingface_hub's _check_disk_space reads it: the folder, or its nearest existing parent.</summary>
static class DiskSpace
{
    public static long FreeBytes(string folder)
    {
        for (var dir = new DirectoryInfo(Path.GetFullPath(folder)); dir is not null; dir = dir.Parent)
            if (dir.Exists) return new DriveInfo(dir.FullName).AvailableFreeSpace;
        return long.MaxValue;
    }
}
