namespace PhiSharp.Tokenizers;

/// <summary>
/// Turns one word (normalized text with ▁ for spaces, between added tokens) into token ids. Two rules exist for the same
/// kind of vocabulary: HF <c>tokenizers</c>' BPE for tokenizer.json (<see cref="BpeWordModel"/>) and llama.cpp's
/// SentencePiece session for GGUF (<see cref="ScoredPieceModel"/>); they differ where a piece's characters are not
/// themselves pieces (docs/TOKENIZERS.md).
/// </summary>
internal interface ISentencePieceModel
{
    void Encode(string word, List<int> output);
}
