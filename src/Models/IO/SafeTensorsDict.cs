namespace Interp.IO;

/// <summary>A whole safetensors file as tensors, the counterpart of <see cref="TorchStateDict.Load"/>.</summary>
public static class SafeTensorsDict
{
    /// <summary>
    /// Loads every tensor in header order: floating-point dtypes (F64/F32/F16/BF16) as
    /// <paramref name="floatDType"/>, integer and bool dtypes as Int32 (range-checked).
    /// </summary>
    public static IReadOnlyDictionary<string, Tensor> Load(string path, DType floatDType = DType.Float32)
    {
        if (!floatDType.IsFloatingPoint())
            throw new ArgumentException($"safetensors load: floatDType must be Float32 or Float64, not {floatDType.Name()}", nameof(floatDType));
        using var file = SafeTensorsFile.Open(path);
        var result = new OrderedDictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var name in file.Names)
        {
            var info = file[name];
            int[] shape = Array.ConvertAll(info.Shape, d => checked((int)d));
            bool isFloat = info.DType is "F64" or "F32" or "F16" or "BF16";
            result.Add(name, !isFloat ? Tensor.FromArray(file.ReadInt32(name), shape)
                : floatDType == DType.Float64 ? Tensor.FromArray(file.ReadFloat64(name), shape)
                : Tensor.FromArray(file.ReadFloat32(name), shape));
        }
        return result;
    }
}
