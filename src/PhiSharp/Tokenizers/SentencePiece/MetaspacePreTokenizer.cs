using PhiSharp.Formats.HuggingFace;

namespace PhiSharp.Tokenizers;

/// <summary>When a Metaspace pre-tokenizer puts its ▁ in front of a piece of text.</summary>
internal enum PrependScheme { Always, First, Never }

/// <summary>
/// tokenizer.json's "Metaspace" pre-tokenizer (the older way Llama files mark word starts): spaces become ▁, a ▁ is
/// prepended (always, or only to the text at the very start of the input), and with <c>split</c> the text is cut
/// before every ▁.
/// </summary>
internal sealed record MetaspacePreTokenizer(char Replacement, PrependScheme Scheme, bool Split)
{
    public static MetaspacePreTokenizer? FromJson(HfJsonObject? spec)
    {
        if (spec is null) return null;
        string type = spec.GetString("type");
        if (type != "Metaspace")
            throw new UnsupportedModelException(spec.FilePath, $"pre_tokenizer type '{type}' is not supported for a SentencePiece BPE model (supported: Metaspace or none)");
        string replacement = spec.TryGetString("replacement", out string r) ? r : "▁";
        if (replacement.Length != 1) throw spec.Error("replacement", "must be a single character");
        var scheme = spec.TryGetString("prepend_scheme", out string s)
            ? s switch
            {
                "always" => PrependScheme.Always,
                "first" => PrependScheme.First,
                "never" => PrependScheme.Never,
                _ => throw spec.Error("prepend_scheme", $"is '{s}', expected always, first or never"),
            }
            : !spec.TryGetBool("add_prefix_space", out bool add) || add ? PrependScheme.Always : PrependScheme.Never;
        bool split = !spec.TryGetBool("split", out bool sp) || sp;
        return new MetaspacePreTokenizer(replacement[0], scheme, split);
    }

    /// <summary>The words of <paramref name="text"/>; <paramref name="startOfInput"/> says it begins the whole input.</summary>
    public IEnumerable<string> Words(string text, bool startOfInput)
    {
        if (text.Length == 0) yield break;
        text = text.Replace(' ', Replacement);
        bool prepend = Scheme == PrependScheme.Always || (Scheme == PrependScheme.First && startOfInput);
        if (prepend && text[0] != Replacement) text = Replacement + text;
        if (!Split)
        {
            yield return text;
            yield break;
        }
        int start = 0;
        for (int i = 1; i < text.Length; i++)
        {
            if (text[i] != Replacement) continue;
            yield return text[start..i];
            start = i;
        }
        yield return text[start..];
    }
}
