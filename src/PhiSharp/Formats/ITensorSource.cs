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

    /// <summary>Rewrites a Q4_0, Q8_0, Q4_K or Q6_K matrix in place with its rows interleaved eight at a time (the fast matmul layout,
    /// <see cref="WeightTensor.RowsInterleaved"/>) where the source's bytes are its own to rewrite; from then on
    /// <see cref="TryGetTensor"/> hands it out in that layout. False, and nothing changed, where it cannot.</summary>
    bool TryInterleaveRows(string name, out WeightTensor tensor)
    {
        tensor = default;
        return false;
    }
}
