using PhiSharp.Formats.HuggingFace;

namespace PhiSharp.Tokenizers;

/// <summary>
/// How transformers ≥ 5 runs a folder whose tokenizer_config.json names <c>LlamaTokenizer</c> (or its 4.x alias
/// <c>LlamaTokenizerFast</c>), as Phi-3's does. transformers 5's LlamaTokenizer
/// (src/transformers/models/llama/tokenization_llama.py) takes only the vocabulary, merges and added tokens from
/// tokenizer.json and builds its own pipeline: no normalizer; a Metaspace pre-tokenizer (▁, no split) whose prepend
/// scheme is <c>_get_prepend_scheme(add_prefix_space, legacy)</c> from tokenization_utils_base.py — "never" without
/// add_prefix_space, else "always" when legacy and "first" otherwise, with legacy defaulting to false and
/// add_prefix_space to true; and the decoder ▁→space, ByteFallback, Fuse, Strip(1 leading space) when the prefix is
/// added. With "first" no ▁ goes before text that follows an added token, and with "first" or "always" none goes
/// before text that already starts with ▁ or a space (Metaspace checks after replacing spaces), where tokenizer.json's
/// Prepend normalizer — what transformers 4.x ran — adds one to every piece of text. docs/TOKENIZERS.md has the cases.
/// Folders with another tokenizer class (or none) keep tokenizer.json's pipeline as written.
/// </summary>
internal static class Transformers5LlamaPipeline
{
    public static bool AppliesTo(HfTokenizerConfig? config) => config?.TokenizerClass is "LlamaTokenizer" or "LlamaTokenizerFast";

    static bool AddPrefixSpace(HfTokenizerConfig config) => config.AddPrefixSpace ?? true;

    public static MetaspacePreTokenizer PreTokenizer(HfTokenizerConfig config) => new('▁',
        !AddPrefixSpace(config) ? PrependScheme.Never : config.Legacy ?? false ? PrependScheme.Always : PrependScheme.First,
        Split: false);

    public static TokenDecoder Decoder(HfTokenizerConfig config) => TokenDecoder.SentencePiece(AddPrefixSpace(config));
}
