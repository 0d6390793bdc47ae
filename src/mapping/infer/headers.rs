//! Guesses from a column's name alone: header names are compared after folding case,
//! accents and punctuation, against the spellings real exports use in English, French,
//! German, Spanish and Portuguese.

pub(super) enum Guess {
    Field(&'static str),
    Email(bool),
    Phone(&'static str, bool),
    Address(&'static str),
    Tags,
    /// The employer: BigContacts keeps it as a nested `business` contact.
    Business,
}

/// Lower case, accents removed, punctuation and spaces dropped: "E-Mail Adresse" → "emailadresse".
pub(super) fn fold(header: &str) -> String {
    header
        .chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'á' | 'à' | 'â' | 'ä' | 'ã' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'ö' | 'õ' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            'ñ' => 'n',
            'ß' => 's',
            other => other,
        })
        .filter(|c| c.is_alphanumeric())
        .collect()
}

pub(super) fn guess(key: &str) -> Option<Guess> {
    let is = |names: &[&str]| names.contains(&key);
    let has = |parts: &[&str]| parts.iter().any(|p| key.contains(p));
    let work = has(&[
        "work", "office", "business", "buro", "bureau", "trabajo", "arbeit", "dienst", "pro",
    ]);
    Some(
        if is(&[
            "firstname",
            "first",
            "givenname",
            "forename",
            "prenom",
            "vorname",
            "nombre",
            "nome",
            "primeironome",
        ]) {
            Guess::Field("first_name")
        } else if is(&[
            "lastname",
            "last",
            "surname",
            "familyname",
            "nom",
            "nachname",
            "apellido",
            "apellidos",
            "sobrenome",
        ]) {
            Guess::Field("last_name")
        } else if is(&["middlename", "middle", "middleinitial"]) {
            Guess::Field("middle_name")
        } else if has(&["email", "mail", "courriel", "correo"]) {
            Guess::Email(work)
        } else if is(&[
            "mobile",
            "cell",
            "cellphone",
            "mobilephone",
            "portable",
            "handy",
            "movil",
            "celular",
            "mobil",
        ]) || has(&["mobile", "cell"])
        {
            Guess::Phone("M", false)
        } else if has(&["fax", "telecopie"]) {
            Guess::Phone("F", work)
        } else if has(&["phone", "tel", "telefon", "telephone", "telefono"]) {
            if work {
                Guess::Phone("W", true)
            } else if has(&["home", "domicile", "privat", "casa"]) {
                Guess::Phone("H", false)
            } else {
                Guess::Phone("O", false)
            }
        } else if is(&[
            "dob",
            "birthday",
            "birthdate",
            "dateofbirth",
            "geburtsdatum",
            "datedenaissance",
            "fechadenacimiento",
            "datadenascimento",
        ]) {
            Guess::Field("date_of_birth")
        } else if is(&[
            "company",
            "companyname",
            "organization",
            "organisation",
            "societe",
            "entreprise",
            "firma",
            "unternehmen",
            "empresa",
            "account",
            "accountname",
        ]) {
            Guess::Business
        } else if is(&[
            "title", "jobtitle", "position", "poste", "titel", "cargo", "puesto",
        ]) {
            Guess::Field("title")
        } else if is(&["gender", "sex", "sexe", "geschlecht", "sexo", "genero"]) {
            Guess::Field("gender")
        } else if is(&["salutation", "anrede", "civilite", "tratamiento"]) {
            Guess::Field("salutation")
        } else if is(&["nickname", "surnom", "spitzname", "apodo"]) {
            Guess::Field("nickname")
        } else if is(&["website", "web", "url", "homepage", "siteweb", "sitioweb"]) {
            Guess::Field("website")
        } else if is(&[
            "notes",
            "note",
            "comments",
            "comment",
            "remarks",
            "bemerkungen",
            "notizen",
            "commentaires",
            "observaciones",
        ]) {
            Guess::Field("comments")
        } else if is(&["source", "leadsource", "origin", "quelle", "origen"]) {
            Guess::Field("lead_source")
        } else if is(&["timezone", "tz", "zeitzone", "fuseau"]) {
            Guess::Field("timezone")
        } else if is(&["tags", "labels", "etiquettes", "etiquetas", "schlagworte"]) {
            Guess::Tags
        } else if is(&[
            "zip",
            "zipcode",
            "postcode",
            "postalcode",
            "plz",
            "postleitzahl",
            "codepostal",
            "cp",
            "codigopostal",
            "cep",
        ]) {
            Guess::Address("postal_code")
        } else if is(&["city", "town", "ville", "stadt", "ort", "ciudad", "cidade"]) {
            Guess::Address("city")
        } else if is(&[
            "state",
            "province",
            "region",
            "bundesland",
            "estado",
            "provincia",
        ]) {
            Guess::Address("state")
        } else if is(&["country", "pays", "land", "pais"]) {
            Guess::Address("country")
        } else if is(&[
            "address",
            "street",
            "address1",
            "addressline1",
            "streetaddress",
            "adresse",
            "strasse",
            "direccion",
            "calle",
            "rua",
            "endereco",
        ]) {
            Guess::Address("address")
        } else if is(&[
            "address2",
            "addressline2",
            "street2",
            "adresse2",
            "complemento",
        ]) {
            Guess::Address("address2")
        } else {
            return None;
        },
    )
}

/// A TOML basic string on one line, whatever the text holds: the toml crate writes text with
/// line breaks as a multi-line string, which breaks out of a commented-out line.
pub(super) fn quote(text: &str) -> String {
    use toml_writer::ToTomlValue;
    toml_writer::TomlStringBuilder::new(text)
        .as_basic()
        .to_toml_value()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_quotes_breaks_and_controls_stay_on_one_line() {
        for name in [
            "Say \"hi\"",
            "back\\slash",
            "two\nlines",
            "cr\r",
            "tab\t",
            "del\u{7f}",
        ] {
            let line = format!("x = {}", quote(name));
            assert!(!line.contains('\n'), "{line}");
            let parsed: toml::Table = toml::from_str(&line).unwrap();
            assert_eq!(parsed["x"].as_str(), Some(name));
        }
    }
}
