/**
 * A form generated from a template's parameter JSON Schema: one field per top-level
 * property (text, number, yes/no, a choice for an enum), and a JSON text field for
 * anything deeper (objects, lists, `{secretRef: ...}`). Problems the webhook named for a
 * parameter appear under its field.
 */
import {
  Box,
  Checkbox,
  FormControlLabel,
  FormHelperText,
  MenuItem,
  TextField,
} from '@mui/material';
import React from 'react';
import { FieldProblem, Json, JsonObject, problemsAt } from '../model';

export interface PropertySchema {
  type?: string | string[];
  enum?: Json[];
  description?: string;
  title?: string;
  default?: Json;
  [key: string]: unknown;
}

export interface ObjectSchema {
  properties?: Record<string, PropertySchema>;
  required?: string[];
}

export type FieldKind = 'text' | 'number' | 'integer' | 'boolean' | 'choice' | 'json';

/** A property's own schema: an optional one, `anyOf: [X, {type: null}]` as pydantic
 * writes it, is X (with the outer title, description and default). */
export function unwrapped(schema: PropertySchema): PropertySchema {
  const anyOf = schema.anyOf as PropertySchema[] | undefined;
  if (!Array.isArray(anyOf)) return schema;
  const branches = anyOf.filter(branch => branch.type !== 'null');
  if (branches.length !== 1) return schema;
  const outer = { ...schema };
  delete outer.anyOf;
  return { ...branches[0], ...outer };
}

export function fieldKind(original: PropertySchema): FieldKind {
  const schema = unwrapped(original);
  if (Array.isArray(schema.enum) && schema.enum.every(v => typeof v === 'string')) return 'choice';
  const type = Array.isArray(schema.type) ? schema.type.filter(t => t !== 'null')[0] : schema.type;
  switch (type) {
    case 'string':
      return 'text';
    case 'integer':
      return 'integer';
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    default:
      return 'json';
  }
}

/** The text a field shows for a value. */
export function fieldText(kind: FieldKind, value: Json | undefined): string {
  if (value === undefined) return '';
  if (kind === 'json') return JSON.stringify(value);
  return String(value);
}

/** The value a field's text stands for; undefined for an empty field; an Error for text
 * that is not one. */
export function fieldValue(kind: FieldKind, text: string): Json | undefined | Error {
  if (text.trim() === '') return undefined;
  switch (kind) {
    case 'integer':
    case 'number': {
      const n = Number(text);
      if (!Number.isFinite(n) || (kind === 'integer' && !Number.isInteger(n))) {
        return new Error(`not ${kind === 'integer' ? 'a whole number' : 'a number'}`);
      }
      return n;
    }
    case 'boolean':
      return text === 'true';
    case 'json':
      try {
        return JSON.parse(text) as Json;
      } catch {
        return new Error('not JSON');
      }
    default:
      return text;
  }
}

export interface SchemaFormProps {
  idPrefix: string;
  schema: ObjectSchema;
  value: JsonObject;
  onChange: (value: JsonObject, invalid: string[]) => void;
  problems?: FieldProblem[];
  /** The spec field the parameters live at, for the webhook's messages. */
  field?: string;
}

export function SchemaForm(props: SchemaFormProps) {
  const properties = props.schema.properties ?? {};
  const required = new Set(props.schema.required ?? []);
  const [texts, setTexts] = React.useState<Record<string, string>>(() =>
    Object.fromEntries(
      Object.entries(properties).map(([name, s]) => [
        name,
        fieldText(fieldKind(s), props.value[name]),
      ])
    )
  );
  const [invalid, setInvalid] = React.useState<Record<string, string>>({});
  const field = props.field ?? 'spec.parameters';

  const update = (name: string, kind: FieldKind, text: string) => {
    const nextTexts = { ...texts, [name]: text };
    setTexts(nextTexts);
    const parsed = fieldValue(kind, text);
    const next = { ...props.value };
    const nextInvalid = { ...invalid };
    delete nextInvalid[name];
    if (parsed instanceof Error) nextInvalid[name] = parsed.message;
    else if (parsed === undefined) delete next[name];
    else next[name] = parsed;
    setInvalid(nextInvalid);
    props.onChange(next, Object.keys(nextInvalid));
  };

  // Required first; the API server hands the schema's properties back sorted by name.
  const names = Object.keys(properties).sort(
    (a, b) => Number(required.has(b)) - Number(required.has(a))
  );
  if (!names.length) return <p>This template takes no parameters.</p>;
  return (
    <Box sx={{ display: 'flex', flexDirection: 'column', gap: 2 }}>
      {names.map(name => {
        const schema = unwrapped(properties[name]);
        const kind = fieldKind(schema);
        const id = `${props.idPrefix}-${name}`;
        const serverProblems = problemsAt(props.problems ?? [], `${field}.${name}`);
        const message = invalid[name] ?? serverProblems.map(p => p.message).join('; ');
        const help = [message, schema.description].filter(Boolean).join(' — ');
        const label = `${schema.title ?? name}${required.has(name) ? ' (required)' : ''}`;
        if (kind === 'boolean') {
          return (
            <Box key={name} data-field={`${field}.${name}`}>
              <FormControlLabel
                control={
                  <Checkbox
                    id={id}
                    checked={props.value[name] === true}
                    onChange={e => update(name, kind, e.target.checked ? 'true' : 'false')}
                  />
                }
                label={label}
              />
              {help && <FormHelperText error={!!message}>{help}</FormHelperText>}
            </Box>
          );
        }
        return (
          <TextField
            key={name}
            id={id}
            data-field={`${field}.${name}`}
            label={label}
            select={kind === 'choice'}
            multiline={kind === 'json'}
            type={kind === 'integer' || kind === 'number' ? 'number' : 'text'}
            size="small"
            value={texts[name] ?? ''}
            error={!!message}
            helperText={help || undefined}
            placeholder={
              kind === 'json' ? 'JSON, e.g. {"secretRef": {"name": "db", "key": "url"}}' : undefined
            }
            onChange={e => update(name, kind, e.target.value)}
          >
            {kind === 'choice' &&
              [
                <MenuItem key="" value="">
                  (unset)
                </MenuItem>,
              ].concat(
                (schema.enum as string[]).map(option => (
                  <MenuItem key={option} value={option}>
                    {option}
                  </MenuItem>
                ))
              )}
          </TextField>
        );
      })}
    </Box>
  );
}
