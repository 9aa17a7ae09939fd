using PhiSharp.Tokenizers;

namespace PhiSharp.Rag.Chunking;

/// <summary>How chunk sizes are measured: with the model's tokenizer when there is one, else an estimate.</summary>
public abstract class TokenCounter
{
    public abstract int Count(string text);

    /// <summary>
    /// Without a tokenizer: English BPE vocabularies average about 0.75 words per token, so a word counts as
    /// 4/3 of a token, rounded up, and a long "word" (an identifier, a URL) as one token per 4 characters.
    /// </summary>
    public static TokenCounter WordEstimate { get; } = new WordEstimateCounter();

    public static TokenCounter For(ITokenizer tokenizer) => new TokenizerCounter(tokenizer);

    sealed class WordEstimateCounter : TokenCounter
    {
        public override int Count(string text)
        {
            int thirds = 0;
            foreach (var word in text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
                thirds += Math.Max(4, (word.Length + 3) / 4 * 3);
            return (thirds + 2) / 3;
        }
    }

    sealed class TokenizerCounter(ITokenizer tokenizer) : TokenCounter
    {
        public override int Count(string text) => tokenizer.Encode(text).Length;
    }
}
