using System.Text;
using PhiSharp.Formats.HuggingFace;

namespace PhiSharp.Tokenizers;

/// <summary>
/// tokenizer.json's "normalizer": a sequence of string rewrites applied to each piece of input text that is not an
/// added token. Supported: Sequence, Prepend (only on non-empty text, as HF does), Replace with a literal pattern,
/// and the four Unicode normalization forms.
/// </summary>
internal sealed class TextNormalizer
{
    readonly Func<string, string>[] _steps;

    TextNormalizer(Func<string, string>[] steps) => _steps = steps;

    public static readonly TextNormalizer None = new([]);

    /// <summary>SentencePiece's own rule (GGUF "llama" vocabularies): mark the start with ▁ and spaces as ▁.</summary>
    public static TextNormalizer SentencePiece(bool addSpacePrefix) =>
        new(addSpacePrefix ? [Prepend("▁"), Replace(" ", "▁")] : [Replace(" ", "▁")]);

    public static TextNormalizer FromJson(HfJsonObject? spec) => spec is null ? None : new([.. Steps(spec)]);

    public string Apply(string text)
    {
        foreach (var step in _steps) text = step(text);
        return text;
    }

    static IEnumerable<Func<string, string>> Steps(HfJsonObject spec)
    {
        string type = spec.GetString("type");
        switch (type)
        {
            case "Sequence":
                spec.TryGetObjectArray("normalizers", out var items);
                foreach (var item in items)
                    foreach (var step in Steps(item)) yield return step;
                break;
            case "Prepend":
                yield return Prepend(spec.GetString("prepend"));
                break;
            case "Replace":
                yield return Replace(LiteralPattern(spec), spec.GetString("content"));
                break;
            case "NFC": yield return s => s.Normalize(NormalizationForm.FormC); break;
            case "NFD": yield return s => s.Normalize(NormalizationForm.FormD); break;
            case "NFKC": yield return s => s.Normalize(NormalizationForm.FormKC); break;
            case "NFKD": yield return s => s.Normalize(NormalizationForm.FormKD); break;
            default:
                throw new UnsupportedModelException(spec.FilePath, $"normalizer type '{type}' is not supported");
        }
    }

    static Func<string, string> Prepend(string prefix) => s => s.Length == 0 ? s : prefix + s;

    static Func<string, string> Replace(string pattern, string content) => s => s.Replace(pattern, content, StringComparison.Ordinal);

    internal static string LiteralPattern(HfJsonObject spec)
    {
        var pattern = spec.GetObject("pattern");
        if (pattern.TryGetString("String", out string literal)) return literal;
        throw new UnsupportedModelException(spec.FilePath, $"{spec.GetString("type")} with a regex pattern is not supported");
    }
}
