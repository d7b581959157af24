namespace Interp.IO;

/// <summary>Tensors to and from safetensors entries.</summary>
public static class TensorIO
{
    /// <summary>A tensor as a writer entry: F32, F64 or I32 after its dtype.</summary>
    public static (string name, string dtype, long[] shape, ReadOnlyMemory<byte> data) Entry(string name, Tensor t)
    {
        long[] shape = t.ShapeArray.Select(d => (long)d).ToArray();
        return t.DType switch
        {
            DType.Float32 => SafeTensorsWriter.F32(name, shape, t.ToFloatArray()),
            DType.Float64 => SafeTensorsWriter.F64(name, shape, t.ToDoubleArray()),
            _ => SafeTensorsWriter.I32(name, shape, t.ToIntArray()),
        };
    }

    /// <summary>
    /// One tensor of a file: integers and bools as int32; floating-point entries as <paramref name="floatDType"/>, or
    /// when null F64 as float64 and the other floats as float32. The one place a safetensors entry becomes a tensor.
    /// </summary>
    public static Tensor Read(SafeTensorsFile file, string name, DType? floatDType = null, bool requiresGrad = false)
    {
        var info = file[name];
        int[] shape = info.Shape.Select(d => checked((int)d)).ToArray();
        bool isFloat = info.DType is "F64" or "F32" or "F16" or "BF16";
        if (!isFloat) return Tensor.FromArray(file.ReadInt32(name), shape);
        var dtype = floatDType ?? (info.DType == "F64" ? DType.Float64 : DType.Float32);
        var t = Tensor.Empty(shape, dtype);
        ReadInto(file, name, t);
        t.RequiresGrad = requiresGrad;
        return t;
    }

    /// <summary>Reads a float entry's elements straight into a contiguous CPU tensor of as many elements (no staging copy).</summary>
    public static void ReadInto(SafeTensorsFile file, string name, Tensor into, long first = 0)
    {
        if (into.Storage is not CpuStorage storage || !into.IsContiguous)
            throw new ArgumentException($"safetensors read of '{name}': the target must be a contiguous CPU tensor, got {ShapeUtil.Format(into.ShapeArray)} on {into.Device}");
        if (into.DType == DType.Float64) file.ReadFloat64Into(name, storage.As<double>().Slice(into.Offset, into.Numel), first);
        else if (into.DType == DType.Float32) file.ReadFloat32Into(name, storage.As<float>().Slice(into.Offset, into.Numel), first);
        else throw new ArgumentException($"safetensors read of '{name}': the target must be float32 or float64, not {into.DType.Name()}");
    }

    /// <summary>Every tensor of a file by name (optionally only those whose name starts with <paramref name="prefix"/>, which is removed).</summary>
    public static Dictionary<string, Tensor> ReadAll(SafeTensorsFile file, string prefix = "") =>
        file.Names.Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(n => n[prefix.Length..], n => Read(file, n));
}
