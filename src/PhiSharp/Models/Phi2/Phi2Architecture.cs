using PhiSharp.Formats;
using PhiSharp.Formats.Gguf;
using PhiSharp.Formats.HuggingFace;
using PhiSharp.Models.Decoder;

namespace PhiSharp.Models.Phi2;

/// <summary>PhiForCausalLM, GGUF "phi2": Phi-2, Phi-1.5 and Phi-1.</summary>
internal sealed class Phi2Architecture : ModelArchitecture
{
    public override IReadOnlyList<string> GgufNames => ["phi2"];
    public override IReadOnlyList<string> HfArchitectures => ["PhiForCausalLM"];
    public override bool ConvertsToGguf => true;

    public override DecoderNetwork FromGguf(GgufFile gguf, LoadOptions options) =>
        new Phi2Network(gguf, Phi2Config.FromGguf(gguf), Phi2Weights.BindGguf);

    public override DecoderNetwork FromHuggingFace(HfModelConfig config, ITensorSource weights, LoadOptions options) =>
        new Phi2Network(weights, Phi2Config.FromHuggingFace(config), Phi2Weights.BindHuggingFace);

    public override GgufConversion ToGguf(HfModelConfig hf)
    {
        var c = Phi2Config.FromHuggingFace(hf);
        c.Validate(hf.FilePath);
        return Phi2Gguf.Conversion(c, hf.FilePath);
    }
}
