using PhiSharp.Tensors;

namespace PhiSharp.Formats.Gguf;

/// <summary>One tensor as the GGUF header describes it.</summary>
/// <param name="Name">Tensor name, e.g. "blk.0.attn_qkv.weight".</param>
/// <param name="Type">Element encoding.</param>
/// <param name="Dims">Dimensions in ggml order: Dims[0] is the contiguous row length.</param>
/// <param name="Offset">Byte offset of the data from the start of the data section.</param>
/// <param name="ByteLength">Bytes of encoded data.</param>
public sealed record GgufTensorInfo(string Name, GgmlType Type, IReadOnlyList<long> Dims, long Offset, long ByteLength)
{
    public long ElementCount => Dims.Aggregate(1L, (product, d) => product * d);
}
