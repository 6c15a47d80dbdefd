package s3local

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/datalake-platform/s3connections/shared/checksum"
)

// objectAttributeNames are the values of x-amz-object-attributes.
var objectAttributeNames = map[string]bool{
	"ETag": true, "Checksum": true, "ObjectParts": true, "StorageClass": true, "ObjectSize": true,
}

// objectAttributes reads x-amz-object-attributes: a comma-separated list,
// in one header or several, whitespace after commas tolerated.
func objectAttributes(h http.Header) (map[string]bool, *s3Error) {
	want := map[string]bool{}
	for _, v := range h.Values("X-Amz-Object-Attributes") {
		for _, name := range strings.Split(v, ",") {
			if name = strings.TrimSpace(name); name == "" {
				continue
			}
			if !objectAttributeNames[name] {
				return nil, errInvalidArgument("Invalid attribute name specified.", "x-amz-object-attributes", name)
			}
			want[name] = true
		}
	}
	if len(want) == 0 {
		return nil, errInvalidArgument("The x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty",
			"x-amz-object-attributes", "")
	}
	return want, nil
}

// getObjectAttributes serves GetObjectAttributes (GET ?attributes) from the
// stored metadata: a composite checksum without its "-<parts>" suffix, and
// the parts of a multipart object (all of them, with their checksums, for a
// COMPOSITE one; only their number otherwise).
func (s *Server) getObjectAttributes(w http.ResponseWriter, r *http.Request, bucket, key string) {
	want, e := objectAttributes(r.Header)
	var maxParts, marker int
	if e == nil {
		maxParts, marker, e = partPaging(r.Header)
	}
	if e != nil {
		s.writeError(w, r, e)
		return
	}
	obj, err := s.store.HeadObject(bucket, key)
	if err != nil {
		s.writeError(w, r, objectErr(err, bucket, key))
		return
	}
	_ = obj.Contents.Close()
	m := obj.Metadata
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<GetObjectAttributesResponse xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`)
	if want["ETag"] {
		b.WriteString("<ETag>")
		xmlEscape(&b, strings.Trim(etagOf(obj), `"`))
		b.WriteString("</ETag>")
	}
	sum, hasSum := storedChecksum(m)
	if want["Checksum"] && hasSum {
		sum.value, _ = checksum.SplitParts(sum.value)
		b.WriteString("<Checksum>")
		checksumXML(&b, sum, true)
		b.WriteString("</Checksum>")
	}
	if parts := partsOf(m); want["ObjectParts"] && len(parts) > 0 {
		writeObjectParts(&b, parts, sum, maxParts, marker)
	}
	if want["StorageClass"] {
		class := m["X-Amz-Storage-Class"]
		if class == "" {
			class = "STANDARD"
		}
		b.WriteString("<StorageClass>" + class + "</StorageClass>")
	}
	if want["ObjectSize"] {
		b.WriteString("<ObjectSize>" + strconv.FormatInt(obj.Size, 10) + "</ObjectSize>")
	}
	b.WriteString("</GetObjectAttributesResponse>")
	if lm := m["Last-Modified"]; lm != "" {
		w.Header().Set("Last-Modified", lm)
	}
	writeXML(w, s, b.String())
}

// partPaging reads x-amz-max-parts (default 1000) and x-amz-part-number-marker.
func partPaging(h http.Header) (maxParts, marker int, e *s3Error) {
	maxParts = 1000
	for name, dst := range map[string]*int{"X-Amz-Max-Parts": &maxParts, "X-Amz-Part-Number-Marker": &marker} {
		if v := h.Get(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return 0, 0, errInvalidArgument("Provided "+strings.ToLower(name)+" not an integer or within integer range",
					strings.ToLower(name), v)
			}
			*dst = n
		}
	}
	return maxParts, marker, nil
}

// writeObjectParts writes ObjectParts: the number of parts, and for a
// COMPOSITE object a page of the parts with their checksums.
func writeObjectParts(b *strings.Builder, parts []storedPart, sum objChecksum, maxParts, marker int) {
	b.WriteString("<ObjectParts>")
	if sum.typ == checksum.Composite {
		var page []storedPart
		for _, p := range parts {
			if p.PartNumber > marker {
				page = append(page, p)
			}
		}
		truncated := len(page) > maxParts
		if truncated {
			page = page[:maxParts]
		}
		next := 0
		if len(page) > 0 {
			next = page[len(page)-1].PartNumber
		}
		b.WriteString("<PartNumberMarker>" + strconv.Itoa(marker) + "</PartNumberMarker>")
		b.WriteString("<NextPartNumberMarker>" + strconv.Itoa(next) + "</NextPartNumberMarker>")
		b.WriteString("<MaxParts>" + strconv.Itoa(maxParts) + "</MaxParts>")
		b.WriteString("<IsTruncated>" + strconv.FormatBool(truncated) + "</IsTruncated>")
		for _, p := range page {
			b.WriteString("<Part><PartNumber>" + strconv.Itoa(p.PartNumber) + "</PartNumber><Size>" +
				strconv.FormatInt(p.Size, 10) + "</Size>")
			checksumXML(b, objChecksum{alg: sum.alg, value: p.Checksum}, false)
			b.WriteString("</Part>")
		}
	}
	b.WriteString("<PartsCount>" + strconv.Itoa(len(parts)) + "</PartsCount></ObjectParts>")
}
