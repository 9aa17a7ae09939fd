namespace PhiSharp.Tokenizers;

/// <summary>
/// Turns generated ids into text as they arrive without ever emitting half a character: a token that ends in the
/// middle of a UTF-8 sequence (a byte-fallback token) is held until the character completes. Text is produced by
/// decoding a short window of ids with one id of context before it, so decoder rules that depend on position
/// (the dropped leading space) give the same text as decoding everything at once (HF's DecodeStream does the same).
/// </summary>
public sealed class StreamingDecoder(ITokenizer tokenizer, bool skipSpecialTokens = false)
{
    readonly List<int> _ids = [];
    int _prefixStart;   // first id of the context window
    int _readStart;     // first id whose text has not been emitted

    /// <summary>Adds one id; returns the text it completes (possibly empty).</summary>
    public string Push(int id)
    {
        _ids.Add(id);
        var window = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_ids);
        string prefix = tokenizer.Decode(window[_prefixStart.._readStart], skipSpecialTokens);
        string full = tokenizer.Decode(window[_prefixStart..], skipSpecialTokens);
        if (full.Length <= prefix.Length || full.EndsWith('\uFFFD') || !full.StartsWith(prefix, StringComparison.Ordinal)) return "";
        // Keep only the ids still needed: the new context window.
        _ids.RemoveRange(0, _readStart);
        _prefixStart = 0;
        _readStart = _ids.Count;
        return full[prefix.Length..];
    }

    /// <summary>Whatever is still held back (an incomplete character becomes U+FFFD); resets the decoder.</summary>
    public string Flush()
    {
        var window = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_ids);
        string prefix = tokenizer.Decode(window[_prefixStart.._readStart], skipSpecialTokens);
        string full = tokenizer.Decode(window[_prefixStart..], skipSpecialTokens);
        _ids.Clear();
        _prefixStart = _readStart = 0;
        return full.Length > prefix.Length && full.StartsWith(prefix, StringComparison.Ordinal) ? full[prefix.Length..] : "";
    }
}
