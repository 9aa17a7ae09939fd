namespace PhiSharp.Hub;

/// <summary>What a model name given to <c>phi pull</c> or <c>--model</c> asks for: an alias (<c>phi3</c>,
/// <c>phi3:128k</c>, <c>phi3:q8_0</c>), a repository (<c>microsoft/Phi-3-mini-4k-instruct-gguf</c>, optionally with
/// <c>:q8_0</c>) or one file of a repository (<c>repo:file.gguf</c>).</summary>
public abstract record ModelName
{
    /// <summary>The quantization asked for, lower case (q4_k_m when none is given).</summary>
    public const string DefaultQuantization = "q4_k_m";

    /// <summary>Quantization tags a name may carry: the types Microsoft's GGUF repositories hold, and the schemes
    /// <c>phi quantize</c> writes when a repository does not hold that type.</summary>
    public static readonly IReadOnlyList<string> Quantizations = ["q4_k_m", "q4_k", "q4_0", "q6_k", "q8_0", "f16"];

    public sealed record Alias(ModelAlias Entry, string Quantization, bool QuantizationGiven) : ModelName;
    public sealed record Repository(string RepoId, string Quantization, bool QuantizationGiven) : ModelName;
    public sealed record RepositoryFile(string RepoId, string FileName) : ModelName;

    /// <summary>Parses a name, or throws a <see cref="HubException"/> that says which forms there are.</summary>
    public static ModelName Parse(string text) => TryParse(text, out var name, out string? error) ? name : throw new HubException(error);

    public static bool TryParse(string text, out ModelName name, out string error)
    {
        name = null!;
        error = "";
        text = text.Trim();
        int colon = text.IndexOf(':');
        string head = colon < 0 ? text : text[..colon], tag = colon < 0 ? "" : text[(colon + 1)..];
        if (head.Contains('/'))
        {
            if (!IsRepoId(head))
            {
                error = $"'{head}' is not a Hugging Face repository id (owner/name)";
                return false;
            }
            if (tag.Length == 0) name = new Repository(head, DefaultQuantization, false);
            else if (Quantizations.Contains(tag.ToLowerInvariant())) name = new Repository(head, tag.ToLowerInvariant(), true);
            else if (!IsRelativeFileName(tag))
            {
                error = $"'{tag}' is not a file name in a repository";
                return false;
            }
            else name = new RepositoryFile(head, tag);
            return true;
        }
        // An alias: the tag is a variant (128k), a quantization (q8_0) or both (128k-q8_0).
        string quantization = DefaultQuantization, variant = tag;
        bool given = false;
        foreach (string q in Quantizations)
            if (tag.Equals(q, StringComparison.OrdinalIgnoreCase) || tag.EndsWith("-" + q, StringComparison.OrdinalIgnoreCase))
            {
                (quantization, given) = (q, true);
                variant = tag.Length == q.Length ? "" : tag[..^(q.Length + 1)];
                break;
            }
        string key = variant.Length == 0 ? head : $"{head}:{variant}";
        if (ModelAliases.Find(key) is not { } entry)
        {
            error = $"unknown model '{text}': give a file or folder that exists, a Hugging Face repository id " +
                    $"(owner/name, owner/name:file.gguf) or an alias ({string.Join(", ", ModelAliases.All.Select(a => a.Name))}; see docs/MODELS.md)";
            return false;
        }
        name = new Alias(entry, quantization, given);
        return true;
    }

    static bool IsRepoId(string id)
    {
        string[] parts = id.Split('/');
        return parts.Length == 2 && parts.All(p => p.Length is > 0 and <= 96 && p != "." && p != ".." &&
                                                   p.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'));
    }

    /// <summary>A path inside a repository that cannot leave the snapshot folder (as huggingface_hub's
    /// _validate_relative_filename).</summary>
    internal static bool IsRelativeFileName(string file) =>
        file.Length > 0 && !file.StartsWith('/') && !file.Contains('\\') && !file.Split('/').Any(p => p is "" or "." or "..");
}
