namespace PhiSharp.Tokenizers;

/// <summary>One entry of tokenizer.json's <c>added_tokens</c>, with the flags that decide how it is matched.</summary>
public sealed record AddedToken(int Id, string Content, bool Special, bool LStrip = false, bool RStrip = false,
    bool SingleWord = false, bool Normalized = false);

/// <summary>A piece of input text: either an added token (Id set) or ordinary text for the model (Id null).</summary>
public readonly record struct TextSegment(int Start, int Length, int? TokenId);

/// <summary>
/// Splits text on added tokens before the model sees it, as HF <c>tokenizers</c>' AddedVocabulary does:
/// leftmost-longest matching, <c>lstrip</c>/<c>rstrip</c> swallowing whitespace next to the token,
/// <c>single_word</c> refusing matches inside words. Special tokens take part only when asked
/// (the equivalent of HF's <c>split_special_tokens=False</c>); non-special added tokens always do.
/// </summary>
public sealed class AddedVocabulary
{
    readonly AddedToken[] _tokens;
    readonly Dictionary<char, AddedToken[]> _byFirstChar;   // candidates per first char, longest first
    readonly Dictionary<string, AddedToken> _byContent;
    readonly Dictionary<int, AddedToken> _byId;
    readonly Func<char, bool> _isStrippedWhitespace;

    /// <param name="isStrippedWhitespace">What lstrip/rstrip swallow: Unicode whitespace (HF's rule) unless given.</param>
    public AddedVocabulary(IEnumerable<AddedToken> tokens, Func<char, bool>? isStrippedWhitespace = null)
    {
        _isStrippedWhitespace = isStrippedWhitespace ?? char.IsWhiteSpace;
        _tokens = tokens.Where(t => t.Content.Length > 0).ToArray();
        _byContent = new(StringComparer.Ordinal);
        _byId = [];
        foreach (var t in _tokens)
        {
            _byContent[t.Content] = t;
            _byId[t.Id] = t;
        }
        _byFirstChar = _tokens.GroupBy(t => t.Content[0])
            .ToDictionary(g => g.Key, g => g.OrderByDescending(t => t.Content.Length).ToArray());
    }

    public IReadOnlyList<AddedToken> Tokens => _tokens;

    public bool TryGetById(int id, out AddedToken token) => _byId.TryGetValue(id, out token!);

    public bool TryGetByContent(string content, out AddedToken token) => _byContent.TryGetValue(content, out token!);

    public bool IsSpecial(int id) => _byId.TryGetValue(id, out var t) && t.Special;

    /// <summary>
    /// Splits <paramref name="text"/> into added-token and plain-text segments. Only tokens whose
    /// <see cref="AddedToken.Normalized"/> flag equals <paramref name="normalizedPass"/> are matched: HF matches
    /// the non-normalized ones on the raw text and the normalized ones on each normalized text piece.
    /// </summary>
    public List<TextSegment> Split(string text, bool includeSpecial, bool normalizedPass)
    {
        var segments = new List<TextSegment>();
        int consumed = 0;   // end of the last emitted segment
        int i = 0;
        while (i < text.Length)
        {
            var match = LongestAt(text, i, includeSpecial, normalizedPass);
            if (match is null || !AcceptsSingleWord(match, text, i))
            {
                i++;
                continue;
            }
            int start = i, end = i + match.Content.Length;
            if (match.LStrip)
                while (start > consumed && _isStrippedWhitespace(text[start - 1])) start--;
            if (match.RStrip)
                while (end < text.Length && _isStrippedWhitespace(text[end])) end++;
            if (start > consumed) segments.Add(new TextSegment(consumed, start - consumed, null));
            segments.Add(new TextSegment(start, end - start, match.Id));
            consumed = i = end;
        }
        if (consumed < text.Length) segments.Add(new TextSegment(consumed, text.Length - consumed, null));
        return segments;
    }

    AddedToken? LongestAt(string text, int position, bool includeSpecial, bool normalizedPass)
    {
        if (!_byFirstChar.TryGetValue(text[position], out var candidates)) return null;
        foreach (var t in candidates)
        {
            if (t.Normalized != normalizedPass || (t.Special && !includeSpecial)) continue;
            if (position + t.Content.Length <= text.Length && string.CompareOrdinal(text, position, t.Content, 0, t.Content.Length) == 0)
                return t;
        }
        return null;
    }

    // single_word: the match must not be glued to word characters on either side.
    static bool AcceptsSingleWord(AddedToken token, string text, int start)
    {
        if (!token.SingleWord) return true;
        int end = start + token.Content.Length;
        bool before = start == 0 || !IsWordChar(text[start - 1]);
        bool after = end == text.Length || !IsWordChar(text[end]);
        return before && after;
    }

    static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || c == '_';
}
