using PhiSharp.Formats.Gguf;
using PhiSharp.Formats.HuggingFace;
using PhiSharp.Models;
using PhiSharp.Tokenizers;

namespace PhiSharp.Quantization;

/// <summary>
/// The tokenizer of a Hugging Face folder as llama.cpp's converter stores it in GGUF: the arrays of its kind —
/// <see cref="SentencePieceGgufVocabulary"/> for a SentencePiece-style tokenizer.json (Phi-3), <see cref="ByteLevelGgufVocabulary"/>
/// for a byte-level one (Phi-4, Phi-4-mini) and for the tiktoken files an architecture reads when there is no
/// tokenizer.json (Phi-3-small) — then the bos / eos / unknown / padding ids, add_bos / add_eos and the chat template,
/// from tokenizer_config.json where it has them and from the tokenizer's own files otherwise.
/// </summary>
internal static class HfTokenizerMetadata
{
    public static void Write(GgufWriter writer, string folder, int vocabSize, ModelArchitecture? architecture = null)
    {
        string path = Path.Combine(folder, "tokenizer.json");
        GgufVocabularyArrays vocabulary;
        if (File.Exists(path))
        {
            var json = TokenizerJson.Load(path);
            vocabulary = json.IsByteLevel ? ByteLevelGgufVocabulary.FromTokenizerJson(json, vocabSize) : SentencePieceGgufVocabulary.FromTokenizerJson(json, vocabSize);
        }
        else
        {
            vocabulary = architecture?.TiktokenWithoutTokenizerJson(folder) is { } tiktoken
                ? ByteLevelGgufVocabulary.FromTiktoken(tiktoken, vocabSize)
                : throw new ModelFormatException(folder, "no tokenizer.json in the model folder");
        }
        vocabulary.Write(writer);

        var config = File.Exists(Path.Combine(folder, HfTokenizerConfig.FileName)) ? HfTokenizerConfig.Load(folder) : null;
        int? Id(string? text) => text is null ? null : vocabulary.IdOf(text);
        void AddId(string key, int? id)
        {
            if (id is int value) writer.AddMetadata(key, (uint)value);
        }
        AddId("tokenizer.ggml.bos_token_id", Id(config?.BosToken) ?? vocabulary.BosId);
        AddId("tokenizer.ggml.eos_token_id", Id(config?.EosToken) ?? vocabulary.EosId);
        AddId("tokenizer.ggml.unknown_token_id", vocabulary.UnknownId ?? Id(config?.UnkToken));
        AddId("tokenizer.ggml.padding_token_id", Id(config?.PadToken));
        writer.AddMetadata("tokenizer.ggml.add_bos_token", config?.AddBosToken ?? vocabulary.AddBos);
        writer.AddMetadata("tokenizer.ggml.add_eos_token", config?.AddEosToken ?? vocabulary.AddEos);
        if (config?.ChatTemplate is string template) writer.AddMetadata("tokenizer.chat_template", template);
    }
}
