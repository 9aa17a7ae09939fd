using System.Globalization;
using System.Text;
using PhiSharp.Formats.HuggingFace;

namespace PhiSharp.Tokenizers;

/// <summary>
/// tokenizer.json's "decoder": turns the token strings of a decode into text, step by step over the list of
/// tokens exactly as HF <c>tokenizers</c> chains them (Replace, ByteFallback, Fuse, Strip, Metaspace), then
/// joins what is left.
/// </summary>
internal sealed class TokenDecoder
{
    readonly Func<List<string>, List<string>>[] _steps;
    readonly string _separator;

    TokenDecoder(Func<List<string>, List<string>>[] steps, string separator)
    {
        _steps = steps;
        _separator = separator;
    }

    /// <summary>SentencePiece's own rule (GGUF "llama" vocabularies): ▁ → space, bytes fused, first space dropped.</summary>
    public static TokenDecoder SentencePiece(bool addSpacePrefix) =>
        new([Replace("▁", " "), ByteFallback, Fuse, .. addSpacePrefix ? [Strip(' ', 1, 0)] : Array.Empty<Func<List<string>, List<string>>>()], "");

    /// <summary>HF joins tokens with spaces when a file has no decoder.</summary>
    public static TokenDecoder FromJson(HfJsonObject? spec) => spec is null ? new([], " ") : new([.. Steps(spec)], "");

    public string Decode(List<string> tokens)
    {
        foreach (var step in _steps) tokens = step(tokens);
        return string.Join(_separator, tokens);
    }

    static IEnumerable<Func<List<string>, List<string>>> Steps(HfJsonObject spec)
    {
        string type = spec.GetString("type");
        switch (type)
        {
            case "Sequence":
                spec.TryGetObjectArray("decoders", out var items);
                foreach (var item in items)
                    foreach (var step in Steps(item)) yield return step;
                break;
            case "Replace":
                yield return Replace(TextNormalizer.LiteralPattern(spec), spec.GetString("content"));
                break;
            case "ByteFallback": yield return ByteFallback; break;
            case "Fuse": yield return Fuse; break;
            case "Strip":
                string content = spec.GetString("content");
                if (content.Length != 1) throw spec.Error("content", "must be a single character");
                yield return Strip(content[0], spec.GetInt("start"), spec.GetInt("stop"));
                break;
            case "Metaspace":
                string replacement = spec.TryGetString("replacement", out string r) ? r : "▁";
                bool prepend = spec.TryGetString("prepend_scheme", out string scheme)
                    ? scheme != "never"
                    : !spec.TryGetBool("add_prefix_space", out bool add) || add;
                yield return Metaspace(replacement, prepend);
                break;
            default:
                throw new UnsupportedModelException(spec.FilePath, $"decoder type '{type}' is not supported");
        }
    }

    static Func<List<string>, List<string>> Replace(string pattern, string content) =>
        tokens => tokens.ConvertAll(t => t.Replace(pattern, content, StringComparison.Ordinal));

    static List<string> Fuse(List<string> tokens) => [string.Concat(tokens)];

    static Func<List<string>, List<string>> Strip(char content, int start, int stop) => tokens => tokens.ConvertAll(t =>
    {
        int from = 0, to = t.Length;
        while (from < start && from < t.Length && t[from] == content) from++;
        while (t.Length - to < stop && to > from && t[to - 1] == content) to--;
        return t[from..to];
    });

    static Func<List<string>, List<string>> Metaspace(string replacement, bool prepend) => tokens =>
    {
        var result = new List<string>(tokens.Count);
        for (int i = 0; i < tokens.Count; i++)
        {
            string t = tokens[i].Replace(replacement, " ", StringComparison.Ordinal);
            result.Add(i == 0 && prepend && t.StartsWith(' ') ? t[1..] : t);
        }
        return result;
    };

    /// <summary>
    /// Runs of byte tokens (&lt;0xE4&gt;&lt;0xBD&gt;&lt;0xA0&gt;) become the text they encode; a run that is not valid
    /// UTF-8 becomes one U+FFFD per byte, as HF does.
    /// </summary>
    static List<string> ByteFallback(List<string> tokens)
    {
        var result = new List<string>(tokens.Count);
        var bytes = new List<byte>();
        foreach (var token in tokens)
        {
            if (TryParseByteToken(token, out byte b))
            {
                bytes.Add(b);
                continue;
            }
            FlushBytes(bytes, result);
            result.Add(token);
        }
        FlushBytes(bytes, result);
        return result;
    }

    static void FlushBytes(List<byte> bytes, List<string> into)
    {
        if (bytes.Count == 0) return;
        into.Add(TryDecodeUtf8(bytes.ToArray(), out string text) ? text : new string('\uFFFD', bytes.Count));
        bytes.Clear();
    }

    static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    internal static bool TryDecodeUtf8(byte[] bytes, out string text)
    {
        try
        {
            text = StrictUtf8.GetString(bytes);
            return true;
        }
        catch (DecoderFallbackException)
        {
            text = "";
            return false;
        }
    }

    /// <summary>Whether <paramref name="token"/> is SentencePiece's byte token form <c>&lt;0xHH&gt;</c>.</summary>
    internal static bool TryParseByteToken(string token, out byte value)
    {
        value = 0;
        return token.Length == 6 && token.StartsWith("<0x", StringComparison.Ordinal) && token[5] == '>'
               && byte.TryParse(token.AsSpan(3, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
    }
}
