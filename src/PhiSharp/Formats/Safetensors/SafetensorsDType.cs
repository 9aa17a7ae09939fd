using PhiSharp.Tensors;

namespace PhiSharp.Formats.Safetensors;

/// <summary>Element types safetensors files declare, by the names they use ("F32", "BF16", ...).</summary>
public enum SafetensorsDType
{
    F64, F32, F16, BF16, F8_E4M3, F8_E5M2, I64, I32, I16, I8, U64, U32, U16, U8, BOOL,
}

public static class SafetensorsDTypes
{
    public static bool TryParse(string name, out SafetensorsDType dtype) =>
        Enum.TryParse(name, ignoreCase: false, out dtype) && Enum.IsDefined(dtype);

    public static int ElementSize(SafetensorsDType dtype) => dtype switch
    {
        SafetensorsDType.F64 or SafetensorsDType.I64 or SafetensorsDType.U64 => 8,
        SafetensorsDType.F32 or SafetensorsDType.I32 or SafetensorsDType.U32 => 4,
        SafetensorsDType.F16 or SafetensorsDType.BF16 or SafetensorsDType.I16 or SafetensorsDType.U16 => 2,
        _ => 1,
    };

    /// <summary>The ggml type a weight of this dtype is used as: F32, F16 and BF16 only.</summary>
    public static bool TryGetGgmlType(SafetensorsDType dtype, out GgmlType type)
    {
        type = dtype switch
        {
            SafetensorsDType.F32 => GgmlType.F32,
            SafetensorsDType.F16 => GgmlType.F16,
            SafetensorsDType.BF16 => GgmlType.BF16,
            _ => (GgmlType)uint.MaxValue,
        };
        return dtype is SafetensorsDType.F32 or SafetensorsDType.F16 or SafetensorsDType.BF16;
    }
}

/// <summary>One tensor as a safetensors header describes it.</summary>
/// <param name="Shape">PyTorch order: the last dimension is contiguous.</param>
/// <param name="DataOffset">Offset from the start of the data section (just after the header).</param>
public sealed record SafetensorsTensorInfo(string Name, SafetensorsDType DType, IReadOnlyList<long> Shape, long DataOffset, long ByteLength);
