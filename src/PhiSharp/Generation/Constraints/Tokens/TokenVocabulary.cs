using System.Runtime.CompilerServices;
using System.Text;
using PhiSharp.Tokenizers;

namespace PhiSharp.Generation.Constraints;

/// <summary>
/// A tokenizer's vocabulary as the bytes each token adds to the output, arranged as a byte trie in preorder (each
/// node's subtree is the index range up to <see cref="SubtreeEnd"/>), so a mask is one forward pass that skips
/// whole subtrees the grammar rejects. SentencePiece pieces decode with ▁ as a space and &lt;0xNN&gt; as byte NN;
/// byte-level BPE tokens are their bytes. Special tokens have no bytes: a grammar never produces them (the end of
/// generation is allowed separately, where the grammar accepts). Built once per tokenizer and shared.
/// </summary>
internal sealed class TokenVocabulary
{
    static readonly ConditionalWeakTable<ITokenizer, TokenVocabulary> Cache = new();

    /// <summary>Token id → its bytes, or null for a token a grammar never produces.</summary>
    public readonly byte[]?[] Bytes;
    /// <summary>Byte → a token that is exactly that byte, or -1.</summary>
    public readonly int[] SingleByteToken = new int[256];
    /// <summary>The decoder drops a leading space at the start of the output (SentencePiece's Strip/Metaspace), so
    /// the first token must not start with one: the grammar would see a space the text does not have.</summary>
    public readonly bool DropsLeadingSpace;

    // The trie, in preorder; node 0 is the root.
    public readonly byte[] EdgeByte;
    public readonly int[] Depth;
    public readonly int[] SubtreeEnd;
    public readonly int[] TokenStart;    // node → first index into TokenIds; TokenStart[node + 1] ends it
    public readonly int[] TokenIds;
    public readonly int MaxDepth;

    public int NodeCount => EdgeByte.Length;

    public static TokenVocabulary For(ITokenizer tokenizer) => Cache.GetValue(tokenizer, t => new TokenVocabulary(t));

    TokenVocabulary(ITokenizer tokenizer)
    {
        Bytes = new byte[]?[tokenizer.VocabSize];
        for (int id = 0; id < Bytes.Length; id++)
            Bytes[id] = tokenizer.IsSpecial(id) ? null : DecodedBytes(tokenizer, id) is { Length: > 0 } b ? b : null;
        Array.Fill(SingleByteToken, -1);
        for (int id = 0; id < Bytes.Length; id++)
            if (Bytes[id] is [var only] && SingleByteToken[only] < 0) SingleByteToken[only] = id;
        DropsLeadingSpace = SingleByteToken[' '] >= 0 && tokenizer.Decode([SingleByteToken[' ']]).Length == 0;

        var order = Enumerable.Range(0, Bytes.Length).Where(id => Bytes[id] is not null).ToArray();
        Array.Sort(order, (a, b) => Bytes[a].AsSpan().SequenceCompareTo(Bytes[b]));
        MaxDepth = order.Length == 0 ? 0 : order.Max(id => Bytes[id]!.Length);

        var edges = new List<byte> { 0 };
        var depths = new List<int> { 0 };
        var ends = new List<int> { 0 };
        var tokenNodes = new List<int>();
        var path = new int[MaxDepth + 1];
        int pathLength = 1;
        ReadOnlySpan<byte> previous = default;
        foreach (int id in order)
        {
            var bytes = Bytes[id].AsSpan();
            int common = bytes.CommonPrefixLength(previous);
            while (pathLength - 1 > common) ends[path[--pathLength]] = edges.Count;
            for (int d = pathLength - 1; d < bytes.Length; d++)
            {
                path[pathLength++] = edges.Count;
                edges.Add(bytes[d]);
                depths.Add(d + 1);
                ends.Add(0);
            }
            tokenNodes.Add(path[pathLength - 1]);
            previous = bytes;
        }
        while (pathLength > 0) ends[path[--pathLength]] = edges.Count;

        EdgeByte = [.. edges];
        Depth = [.. depths];
        SubtreeEnd = [.. ends];
        TokenIds = order;
        TokenStart = new int[EdgeByte.Length + 1];
        foreach (int node in tokenNodes) TokenStart[node + 1]++;
        for (int n = 0; n < EdgeByte.Length; n++) TokenStart[n + 1] += TokenStart[n];
    }

    static byte[] DecodedBytes(ITokenizer tokenizer, int id) => tokenizer switch
    {
        ByteLevelBpeTokenizer byteLevel => byteLevel.TokenBytes(id).ToArray(),
        SentencePieceBpeTokenizer => TokenDecoder.TryParseByteToken(tokenizer.TokenText(id), out byte b)
            ? [b]
            : Encoding.UTF8.GetBytes(tokenizer.TokenText(id).Replace('▁', ' ')),
        _ => throw new NotSupportedException(
            $"Constrained decoding needs the bytes of each token; {tokenizer.GetType().Name} vocabularies are not supported."),
    };
}
