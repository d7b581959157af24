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
        foreach (var name in file.Names) result.Add(name, TensorIO.Read(file, name, floatDType));
        return result;
    }
}
