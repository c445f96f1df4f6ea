//! Just enough DER to give a certificate as Python's `getpeercert()` does:
//! subject, issuer, version, serial number, validity and subjectAltName.
//! Anything it cannot read yields `None` (the binary form stays available).

/// A certificate's fields as Python's `getpeercert()` dict holds them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertFields {
    /// Relative distinguished names, each a list of `(attribute, value)`
    /// (`("commonName", "localhost")`).
    pub subject: Vec<Vec<(String, String)>>,
    /// As `subject`, for the issuer.
    pub issuer: Vec<Vec<(String, String)>>,
    /// 1-based, as Python reports it (3 for X.509 v3).
    pub version: u32,
    /// Upper-case hex.
    pub serial_number: String,
    /// `"Jan  1 00:00:00 2026 GMT"`.
    pub not_before: String,
    /// As `not_before`.
    pub not_after: String,
    /// `("DNS", name)` and `("IP Address", addr)` entries.
    pub subject_alt_name: Vec<(String, String)>,
}

/// One DER element: (tag, contents, rest).
fn element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        first as usize
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n].iter().fold(0usize, |acc, &b| (acc << 8) | b as usize);
        rest = &rest[n..];
        len
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

fn elements(mut input: &[u8]) -> Option<Vec<(u8, &[u8])>> {
    let mut out = Vec::new();
    while !input.is_empty() {
        let (tag, body, rest) = element(input)?;
        out.push((tag, body));
        input = rest;
    }
    Some(out)
}

/// Parses a DER certificate.
pub fn parse(der: &[u8]) -> Option<CertFields> {
    let (_, cert, _) = element(der)?;
    let (_, tbs, _) = element(cert)?;
    let mut items = elements(tbs)?.into_iter().peekable();
    let mut version = 1;
    if let Some(&(0xa0, body)) = items.peek() {
        let (_, v, _) = element(body)?;
        version = 1 + *v.last()? as u32;
        items.next();
    }
    let (_, serial) = items.next()?;
    let _signature = items.next()?;
    let (_, issuer) = items.next()?;
    let (_, validity) = items.next()?;
    let (_, subject) = items.next()?;
    let _spki = items.next()?;
    let mut subject_alt_name = Vec::new();
    for (tag, body) in items {
        if tag == 0xa3 {
            subject_alt_name = alt_names(body).unwrap_or_default();
        }
    }
    let times = elements(validity)?;
    let serial = serial.strip_prefix(&[0]).filter(|s| !s.is_empty()).unwrap_or(serial);
    Some(CertFields {
        subject: name(subject)?,
        issuer: name(issuer)?,
        version,
        serial_number: serial.iter().map(|b| format!("{b:02X}")).collect(),
        not_before: time(times.first()?)?,
        not_after: time(times.get(1)?)?,
        subject_alt_name,
    })
}

fn name(der: &[u8]) -> Option<Vec<Vec<(String, String)>>> {
    let mut rdns = Vec::new();
    for (_, set) in elements(der)? {
        let mut rdn = Vec::new();
        for (_, atv) in elements(set)? {
            let parts = elements(atv)?;
            let (oid, value) = (parts.first()?.1, parts.get(1)?.1);
            rdn.push((attribute_name(oid), String::from_utf8_lossy(value).into_owned()));
        }
        rdns.push(rdn);
    }
    Some(rdns)
}

fn attribute_name(oid: &[u8]) -> String {
    match oid {
        [0x55, 0x04, 0x03] => "commonName".into(),
        [0x55, 0x04, 0x06] => "countryName".into(),
        [0x55, 0x04, 0x07] => "localityName".into(),
        [0x55, 0x04, 0x08] => "stateOrProvinceName".into(),
        [0x55, 0x04, 0x0a] => "organizationName".into(),
        [0x55, 0x04, 0x0b] => "organizationalUnitName".into(),
        [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01] => "emailAddress".into(),
        other => other.iter().map(|b| format!("{b:02x}")).collect(),
    }
}

/// UTCTime or GeneralizedTime as OpenSSL prints it.
fn time(&(tag, body): &(u8, &[u8])) -> Option<String> {
    let s = std::str::from_utf8(body).ok()?;
    let (year, rest) = match tag {
        0x17 => {
            let yy: u32 = s.get(0..2)?.parse().ok()?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, s.get(2..)?)
        }
        0x18 => (s.get(0..4)?.parse().ok()?, s.get(4..)?),
        _ => return None,
    };
    let field = |i: usize| -> Option<u32> { rest.get(i..i + 2)?.parse().ok() };
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let month = MONTHS.get(field(0)?.checked_sub(1)? as usize)?;
    Some(format!("{month} {:>2} {:02}:{:02}:{:02} {year} GMT", field(2)?, field(4)?, field(6)?, field(8)?))
}

fn alt_names(extensions: &[u8]) -> Option<Vec<(String, String)>> {
    let (_, seq, _) = element(extensions)?;
    for (_, ext) in elements(seq)? {
        let parts = elements(ext)?;
        if parts.first()?.1 != [0x55, 0x1d, 0x11] {
            continue;
        }
        // OID, [critical], OCTET STRING holding GeneralNames.
        let (_, names, _) = element(parts.last()?.1)?;
        let mut out = Vec::new();
        for (tag, body) in elements(names)? {
            match tag {
                0x82 => out.push(("DNS".into(), String::from_utf8_lossy(body).into_owned())),
                0x87 if body.len() == 4 => {
                    out.push(("IP Address".into(), std::net::Ipv4Addr::new(body[0], body[1], body[2], body[3]).to_string()))
                }
                0x87 if body.len() == 16 => {
                    let b: [u8; 16] = body.try_into().ok()?;
                    // OpenSSL prints IPv6 in full upper-case groups.
                    let groups: Vec<String> = b.chunks(2).map(|c| format!("{:X}", u16::from_be_bytes([c[0], c[1]]))).collect();
                    out.push(("IP Address".into(), groups.join(":")));
                }
                0x81 => out.push(("email".into(), String::from_utf8_lossy(body).into_owned())),
                0x86 => out.push(("URI".into(), String::from_utf8_lossy(body).into_owned())),
                _ => {}
            }
        }
        return Some(out);
    }
    Some(Vec::new())
}
