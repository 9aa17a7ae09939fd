using PhiSharp.Hub;

namespace PhiSharp.Cli.Commands.Models;

/// <summary>
/// What every <c>--model</c> means: a file or folder that exists is loaded as it is; otherwise a model name (alias,
/// repository id, repo:file) is pulled on first use, or found in the cache with <c>--offline</c> / HF_HUB_OFFLINE.
/// </summary>
static class ModelLocator
{
    public static async Task<string> ResolveAsync(string? model, bool offline, bool plainProgress, CancellationToken cancellation)
    {
        var options = HubOptions.FromEnvironment();
        if (offline) options = options with { Offline = true };
        if (model is null) throw new HubException(NoModelMessage(new ModelStore(options).List()));
        if (File.Exists(model) || Directory.Exists(model) || LooksLikePath(model)) return model;
        var name = ModelName.Parse(model);
        using var puller = new ModelPuller(options);
        var pulled = await ProgressDisplay.PullAsync(plainProgress, progress => puller.PullAsync(name, progress, cancellation));
        return pulled.Path;
    }

    /// <summary>A path that does not exist gets the loader's "not found" rather than a download: anything with a path
    /// separator beyond a repository id's one slash, or a model file's extension.</summary>
    static bool LooksLikePath(string model) =>
        model.StartsWith('.') || model.StartsWith('/') || model.StartsWith('~') || model.Contains('\\') || model.Split(':')[0].Count(c => c == '/') > 1
        || (!model.Contains(':') && (model.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase) || model.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase)));

    /// <summary>What to say when a command that needs a model has no --model (also with its other parse errors).</summary>
    public static string NoModelMessage() => NoModelMessage(Stored());

    /// <summary>What bare `phi` adds on a machine with no model yet: how to start; null once there is one.</summary>
    public static string? FirstStepsHint() => Stored().Count == 0
        ? "no model downloaded yet: `phi pull phi3` gets Phi-3-mini (2.4 GB), then `phi chat --model phi3` (names: docs/MODELS.md)"
        : null;

    /// <summary>The store as the environment names it; an unreadable cache counts as empty (this only chooses a hint).</summary>
    static IReadOnlyList<StoredModel> Stored()
    {
        try { return new ModelStore(HubOptions.FromEnvironment()).List(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or HubException) { return []; }
    }

    static string NoModelMessage(IReadOnlyList<StoredModel> stored) => stored.Count == 0
        ? "no model given and none downloaded yet: pass --model phi3 (downloads Phi-3-mini, 2.4 GB, on first use), " +
          "--model with a GGUF file or a Hugging Face folder, or run `phi pull phi3` first (more names: docs/MODELS.md)"
        : $"no model given: pass --model with one of the downloaded models ({string.Join(", ", stored.Select(m => m.Name).Distinct())}), " +
          "a GGUF file or a Hugging Face folder";
}
