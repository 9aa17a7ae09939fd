using PhiSharp.Models.Phi3Vision;

namespace PhiSharp.Server;

/// <summary>How `phi serve` listens and how much work it takes on.</summary>
public sealed record ServerOptions
{
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>0 picks a free port (read the bound address from <see cref="PhiServer.Address"/>).</summary>
    public int Port { get; init; } = 8080;

    /// <summary>When set, every /v1 request must send <c>Authorization: Bearer KEY</c>.</summary>
    public string? ApiKey { get; init; }

    /// <summary>Requests decoded at once, each in its own slot with its own KV cache.</summary>
    public int Parallel { get; init; } = 1;

    /// <summary>Requests that may wait for a slot; one more is refused with 503.</summary>
    public int QueueLimit { get; init; } = 64;

    /// <summary>Tokens of each slot's KV cache, at most the model's context; null takes the model's context, at most 4096.
    /// The slots' caches together must fit the available memory.</summary>
    public int? ContextLength { get; init; }

    /// <summary>The id clients name in "model"; null uses the model's name (<see cref="ModelInfo.Name"/>).</summary>
    public string? ModelId { get; init; }

    /// <summary>Largest request body in bytes; a larger one gets 413. 32 MiB admits one image of the default
    /// <see cref="ImageLimits"/> (20 MiB) as a base64 data: URL (4/3 of it: 28 MB) with its conversation.</summary>
    public long MaxRequestBytes { get; init; } = 32 << 20;

    /// <summary>Limits on each image in a request (encoded bytes, declared pixels); one over them gets 413.</summary>
    public ImageLimits ImageLimits { get; init; } = ImageLimits.Default;

    /// <summary>The folder whose files (symlinks resolved) a file:// image_url may name; null reads no files.</summary>
    public string? ImageDirectory { get; init; }

    public void Validate()
    {
        if (Port is < 0 or > 65535) throw new ArgumentOutOfRangeException(nameof(Port), Port, "The port must be in 0..65535.");
        if (Parallel < 1) throw new ArgumentOutOfRangeException(nameof(Parallel), Parallel, "--parallel must be at least 1.");
        if (QueueLimit < 0) throw new ArgumentOutOfRangeException(nameof(QueueLimit), QueueLimit, "The queue limit must be ≥ 0.");
        if (ContextLength is < 2) throw new ArgumentOutOfRangeException(nameof(ContextLength), ContextLength, "--ctx must be at least 2.");
        if (ImageDirectory is not null && !Directory.Exists(ImageDirectory))
            throw new ArgumentException($"--image-dir '{ImageDirectory}' is not a folder.", nameof(ImageDirectory));
        if (ApiKey is { Length: 0 }) throw new ArgumentException("--api-key must not be empty.", nameof(ApiKey));
    }
}
