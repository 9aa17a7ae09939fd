namespace PhiSharp.Tokenizers;

/// <summary>
/// Text ⇄ token ids for one model vocabulary. Implementations are exact ports of the reference
/// algorithms (HF <c>tokenizers</c>, tiktoken) and are safe to share between threads.
/// </summary>
public interface ITokenizer
{
    /// <summary>Number of ids, added tokens included.</summary>
    int VocabSize { get; }

    /// <summary>The beginning-of-sequence id, when the vocabulary has one.</summary>
    int? BosId { get; }

    /// <summary>Ids that end generation according to the tokenizer files (the model may add more).</summary>
    IReadOnlyList<int> EosIds { get; }

    /// <summary>
    /// Encodes <paramref name="text"/>. <paramref name="addSpecialTokens"/> adds BOS/EOS as the
    /// tokenizer's post-processor would; <paramref name="parseSpecial"/> turns special-token text
    /// such as <c>&lt;|user|&gt;</c> into its id instead of encoding it as plain text.
    /// </summary>
    int[] Encode(string text, bool addSpecialTokens = false, bool parseSpecial = false);

    /// <summary>Decodes ids to text; invalid UTF-8 byte sequences become U+FFFD.</summary>
    string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = false);

    /// <summary>The vocabulary entry for <paramref name="id"/> as stored (e.g. <c>▁the</c>, <c>&lt;0x0A&gt;</c>).</summary>
    string TokenText(int id);

    /// <summary>Whether <paramref name="id"/> is a special (control) token.</summary>
    bool IsSpecial(int id);

    /// <summary>Looks up the id of a vocabulary entry by its stored text.</summary>
    bool TryGetId(string tokenText, out int id);
}
