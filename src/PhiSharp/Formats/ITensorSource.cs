using PhiSharp.Tensors;

namespace PhiSharp.Formats;

/// <summary>Something that holds named tensors: a GGUF file or a (possibly sharded) safetensors checkpoint.
/// Tensor views stay valid until the source is disposed.</summary>
public interface ITensorSource : IDisposable
{
    /// <summary>The file or folder the tensors come from, for error messages.</summary>
    string Path { get; }

    IReadOnlyCollection<string> TensorNames { get; }

    bool TryGetTensor(string name, out WeightTensor tensor);
}
