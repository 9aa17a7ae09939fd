using PhiSharp.Formats;
using PhiSharp.Formats.Gguf;
using PhiSharp.Formats.HuggingFace;
using PhiSharp.Models.Decoder;
using PhiSharp.Tokenizers.ByteLevel;

namespace PhiSharp.Models;

/// <summary>
/// One architecture as model files name it, and what PhiSharp needs of it: the configuration readers (GGUF metadata
/// and config.json), the tensor binding that makes its <see cref="DecoderNetwork"/>, and the GGUF that `phi quantize`
/// writes from a Hugging Face folder. <see cref="ArchitectureRegistry"/> lists them; docs/ARCHITECTURES.md shows how
/// one is added.
/// </summary>
internal abstract class ModelArchitecture
{
    /// <summary>GGUF's general.architecture values ("phi3").</summary>
    public abstract IReadOnlyList<string> GgufNames { get; }

    /// <summary>config.json's "architectures" entries, transformers' model classes ("Phi3ForCausalLM").</summary>
    public abstract IReadOnlyList<string> HfArchitectures { get; }

    /// <summary>config.json's "model_type" values accepted when no listed class is known. Empty for decoders: a
    /// Phi3ForSequenceClassification checkpoint has model_type "phi3" but no language-model head.</summary>
    public virtual IReadOnlyList<string> HfModelTypes => [];

    /// <summary>A sentence encoder (BERT): loaded by the embedders, not as a <see cref="LanguageModel"/>.</summary>
    public virtual bool IsEncoder => false;

    /// <summary>The output head's tensor in a Hugging Face checkpoint (`--quantize` gives it llama.cpp's head type).</summary>
    public virtual string HfOutputTensor => "lm_head.weight";

    /// <summary>The tokenizer files of a Hugging Face folder that has no tokenizer.json (Phi-3-small's tiktoken rank file
    /// and special-token table), or null when the architecture needs one. The loader and `phi quantize` both read them.</summary>
    public virtual TiktokenFiles? TiktokenWithoutTokenizerJson(string folder) => null;

    /// <summary>Reads the configuration from GGUF metadata and binds the file's tensors (llama.cpp's names).</summary>
    public abstract DecoderNetwork FromGguf(GgufFile gguf, LoadOptions options);

    /// <summary>Reads config.json and binds the checkpoint's tensors (transformers' names).</summary>
    public abstract DecoderNetwork FromHuggingFace(HfModelConfig config, ITensorSource weights, LoadOptions options);

    /// <summary>Whether `phi quantize` converts Hugging Face folders of this architecture (<see cref="ToGguf"/>).</summary>
    public virtual bool ConvertsToGguf => false;

    /// <summary>The GGUF `phi quantize` writes from a Hugging Face folder of this architecture; asked only when
    /// <see cref="ConvertsToGguf"/> is true.</summary>
    public virtual GgufConversion ToGguf(HfModelConfig config) =>
        throw new InvalidOperationException($"{GetType().Name} does not convert to GGUF");
}
