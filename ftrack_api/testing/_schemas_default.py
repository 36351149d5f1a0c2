"""The default schema set served by the local server.

Written for this project in a compact notation (see :func:`_build`), using the
attribute names, types, defaults and flags that a real ftrack server uses for
the core entity types. :func:`default_schemas` returns a fresh list of schema
dicts in the format of ``query_schemas``.

Property notation (space separated tokens):

* ``name:TYPE[=JSON_DEFAULT][@alias]`` scalar; TYPE is one of ``str``, ``num``, ``int``,
  ``bool``, ``datetime``, ``any``, ``obj``, ``json`` (``~`` stands for a space in defaults).
* ``name->Type[@alias]`` scalar reference.
* ``name[Type][@alias]`` collection, ``name{Type}[@alias]`` key/value collection.
* ``name:?[@alias]`` a property with neither type nor reference (``User.user_type_id``).
"""
from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

_SCALARS = {
    "str": {"type": "string"},
    "num": {"type": "number"},
    "int": {"type": "integer"},
    "bool": {"type": "boolean"},
    "datetime": {"type": "string", "format": "date-time"},
    "any": {"type": "variable"},
    "obj": {"type": "object"},
    "json": {"type": "string", "format": "json"},
}

OBJECT_TYPE_IDS = {
    "Task": "11c137c0-ee7e-4f9c-91c5-8c77cec22b2c",
    "Shot": "bad911de-3bd6-47b9-8b46-3476e237cb36",
    "Sequence": "e5139355-61da-4c8f-9db4-3abc870166bc",
    "Episode": "22139355-61da-4c8f-9db4-3abc870166bc",
    "Folder": "3c133785-51cb-11e3-980a-20c9d0831e59",
    "AssetBuild": "4be63b64-5010-42fb-bf1f-428af9d638f0",
    "Milestone": "01decdd1-51cb-11e3-9d5b-20c9d0831e59",
}
DEFAULT_PRIORITY_ID = "9661b320-3a0c-11e2-81c1-0800200c9a66"


def _parse_props(spec: str) -> Dict[str, Dict[str, Any]]:
    props: Dict[str, Dict[str, Any]] = {}
    for token in spec.split():
        alias: Optional[str] = None
        if "@" in token:
            token, alias = token.rsplit("@", 1)
        if "->" in token:
            name, ref = token.split("->")
            prop: Dict[str, Any] = {"$ref": ref}
        elif token.endswith("]"):
            name, ref = token[:-1].split("[")
            prop = {"type": "array", "items": {"$ref": ref}}
        elif token.endswith("}"):
            name, ref = token[:-1].split("{")
            prop = {"type": "mapped_array", "items": {"$ref": ref}}
            if ref == "Metadata" or ref.endswith("CustomAttributeValue"):
                prop["key_value_attributes"] = {"key": "key", "value": "value"}
        elif token.endswith(":?"):
            name, prop = token[:-2], {}
        else:
            name, rest = token.split(":", 1)
            default: Any = None
            has_default = False
            if "=" in rest:
                rest, raw = rest.split("=", 1)
                default, has_default = json.loads(raw.replace("~", " ")), True
            prop = dict(_SCALARS[rest])
            if has_default:
                prop["default"] = default
        if alias:
            prop["alias_for"] = alias
        props[name] = prop
    # Foreign key annotations for ``x_id`` columns that back a reference ``x``.
    for name, prop in props.items():
        if name.endswith("_id") and prop.get("type") == "string":
            ref = props.get(name[:-3], {}).get("$ref")
            if ref:
                prop["format"] = "foreign_key"
                prop["description"] = f"Foreign key(s): {ref}.id"
    return props


def _build(
    type_id: str,
    props: str,
    pk: str = "id",
    req: str = "id",
    imm: str = "id",
    comp: str = "",
    dp: str = "id",
    sp: str = "",
    alias: Any = None,
) -> Dict[str, Any]:
    schema: Dict[str, Any] = {
        "id": type_id,
        "type": "object",
        "properties": _parse_props(props),
        "primary_key": pk.split(),
        "required": req.split(),
        "immutable": imm.split(),
        "default_projections": dp.split(),
    }
    if comp:
        schema["computed"] = comp.split()
    if sp:
        schema["system_projections"] = sp.split()
    if alias is not None:
        schema["alias_for"] = alias
    return schema


_CA_LINKS = ""  # custom attribute link collections are not modelled by default.

_CONTEXT_COMMON = (
    "project_id:str _link:str@_api_link link:str@_api_link allocations[Appointment]@context_allocations "
    "appointments[Appointment]@context_appointments assets[Asset] "
    "assignments[Appointment]@context_assignments children[Context] context_type:str "
    "created_at:datetime created_by->User@createdBy created_by_id:str@created_by "
    'custom_attributes{ContextCustomAttributeValue} id:str="{uid}" managers[Manager] '
    'name:str="" notes[Note] parent->Context parent_id:str scopes[Scope] '
    "thumbnail->Component thumbnail_id:str@thumbid thumbnail_url:obj timelogs[Timelog]"
)
_CONTEXT_IMM = "id _link link thumbnail_url created_by_id created_by created_at"

_TYPED_CONTEXT = (
    _CONTEXT_COMMON
    + " ancestors[TypedContext] bid:num bid_time_logged_difference:num "
    "descendants[TypedContext] description:str end_date:datetime@enddate "
    "incoming_links[TypedContextLink]@predecessors lists[TypedContextList]@_lists "
    "metadata{Metadata}@meta object_type->ObjectType@objectType priority->Priority "
    "outgoing_links[TypedContextLink]@successors project->Project@show "
    "project_id:str@showid sort:num start_date:datetime@startdate status->Status "
    "status_changes[StatusChange] status_id:str@statusid time_logged:num type->Type "
    "type_id:str@typeid"
)
_TC_REQ = "bid status_id type_id priority_id object_type_id sort context_type id name"
_TC_COMP = "time_logged bid_time_logged_difference thumbnail_url"

_COMPONENT = (
    "component_locations[ComponentLocation] container->ContainerComponent "
    "container_id:str file_type:str@filetype id:str=\"{uid}\" metadata{Metadata}@meta "
    'name:str="main" size:int=0 system_type:str version->AssetVersion version_id:str'
)

_LIST = (
    "category->ListCategory category_id:str@typeid custom_attributes{ListCustomAttributeValue} "
    'date:datetime id:str="{uid}"@listid is_open:bool=true@isopen name:str="" owner->User '
    "project->Project project_id:str@showid user_id:str@userid"
)

_CAV = (
    "configuration->CustomAttributeConfiguration configuration_id:str@register_id "
    "entity_id:str key:str value:any@casted_value"
)

_RESOURCE_COMMON = (
    "allocations[Appointment]@resource_allocations appointments[Appointment]@resource_appointments "
    "assignments[Appointment]@resource_assignments dashboard_resources[DashboardResource] "
    'id:str="{uid}"'
)

_STATUS_CHANGE = (
    "date:datetime from_status->Status from_status_id:str id:str@tracid parent_id:str "
    "parent_type:str status->Status status_id:str user->User user_id:str@userid"
)


def default_schemas() -> List[Dict[str, Any]]:
    """Return a new list with every schema of the default set.

    This function is a data table (one ``_build`` call per type), hence its length.
    """
    out: List[Dict[str, Any]] = [
        _build(
            "Context", _CONTEXT_COMMON, req="context_type id name", imm=_CONTEXT_IMM,
            comp="thumbnail_url", dp="context_type id name", sp="context_type",
        ),
        _build(
            "TypedContext", _TYPED_CONTEXT, req=_TC_REQ, imm="time_logged "
            "bid_time_logged_difference " + _CONTEXT_IMM, comp=_TC_COMP,
            dp="context_type id name", sp="showid context_type", alias="Task",
        ),
        _build(
            "Project",
            _CONTEXT_COMMON
            + " calendar_events[CalendarEvent] color:str descendants[TypedContext] disk->Disk "
            "disk_id:str@diskid end_date:datetime@enddate full_name:str@fullname "
            "is_global:bool=false@isglobal is_private:bool=false@private metadata{Metadata}@meta "
            "project_id:str project_schema->ProjectSchema project_schema_id:str@projectschemeid "
            "review_sessions[ReviewSession] root:str start_date:datetime@startdate status:str",
            req="is_global status project_schema_id context_type id name", imm=_CONTEXT_IMM,
            comp="thumbnail_url", dp="context_type id name", sp="context_type", alias="Show",
        ),
    ]
    extra_imm = {
        "Task": "object_type_id object_type",
        "Shot": "object_type_id object_type type_id type bid start_date end_date",
        "Sequence": "object_type_id object_type type_id type bid start_date end_date status_id status",
        "Episode": "object_type_id object_type type_id type bid start_date end_date status_id status",
        "Folder": "object_type_id object_type type_id type bid start_date end_date status_id status",
        "AssetBuild": "object_type_id object_type bid start_date end_date",
        "Milestone": "object_type_id object_type start_date",
    }
    for name, object_type_id in OBJECT_TYPE_IDS.items():
        props = (
            _TYPED_CONTEXT
            + f' object_type_id:str="{object_type_id}"@object_typeid'
            + f' priority_id:str="{DEFAULT_PRIORITY_ID}"@priorityid'
        )
        out.append(_build(
            name, props, req=_TC_REQ,
            imm=extra_imm[name] + " bid_time_logged_difference time_logged " + _CONTEXT_IMM,
            comp=_TC_COMP, dp="context_type id name", sp="showid context_type",
            alias={"id": "Task", "classifiers": {"object_typeid": object_type_id}},
        ))
    # TypedContext lacks the default-carrying object_type_id/priority_id: add plain ones.
    tc = out[1]["properties"]
    tc["object_type_id"] = {"type": "string", "alias_for": "object_typeid",
                            "format": "foreign_key", "description": "Foreign key(s): ObjectType.id"}
    tc["priority_id"] = {"type": "string", "alias_for": "priorityid",
                         "format": "foreign_key", "description": "Foreign key(s): Priority.id"}

    out += [
        _build("Asset", 'context_id:str custom_attributes{AssetCustomAttributeValue} '
               'id:str="{uid}"@assetid latest_version->AssetVersion metadata{Metadata}@meta '
               "name:str parent->Context type->AssetType type_id:str@typeid versions[AssetVersion]",
               comp="latest_version", sp="context_id"),
        _build("AssetType", 'assets[Asset] component:str="main" id:str="{uid}"@typeid name:str short:str',
               req="id name short"),
        _build("AssetVersion",
               '_link:str@_api_link asset->Asset asset_id:str@assetid comment:str="" '
               "components[Component] custom_attributes{AssetVersionCustomAttributeValue} "
               'date:datetime id:str="{uid}"@versionid incoming_links[AssetVersionLink] '
               "is_latest_version:bool is_published:bool=true@ispublished link:str@_api_link "
               "lists[AssetVersionList]@_lists metadata{Metadata}@meta notes[Note] "
               "outgoing_links[AssetVersionLink] review_session_objects[ReviewSessionObject] "
               "status->Status status_changes[StatusChange] status_id:str@statusid task->Task "
               "task_id:str@taskid thumbnail->Component thumbnail_id:str@thumbid "
               "thumbnail_url:obj used_in_versions[AssetVersion] user->User user_id:str@userid "
               "uses_versions[AssetVersion] version:int",
               req="id is_published status_id",
               imm="id _link link is_latest_version thumbnail_url", comp="thumbnail_url",
               sp="assetid"),
        _build("AssetVersionLink", 'from->AssetVersion from_id:str@linkedversionid id:str="{uid}" '
               "metadata{Metadata}@meta to->AssetVersion to_id:str@versionid",
               req="id from_id to_id", dp="id from_id to_id"),
        _build("TypedContextLink", 'from->TypedContext from_id:str id:str="{uid}"@dependencyid '
               "metadata{Metadata}@meta to->TypedContext to_id:str",
               req="id from_id to_id", dp="id from_id to_id", alias="Dependency"),
    ]
    for name, extra, req in (
        ("Component", "", "system_type name id"),
        ("FileComponent", "", "system_type name id"),
        ("SequenceComponent", " members[Component] padding:int=0", "system_type name id padding"),
        ("ContainerComponent", " members[Component]", "system_type name id"),
    ):
        out.append(_build(name, _COMPONENT + extra, req=req, dp="id system_type",
                          sp="system_type version_id"))
    out += [
        _build("ComponentLocation", 'component->Component component_id:str id:str="{uid}" '
               "location->Location location_id:str resource_identifier:str@resourceIdentifier url:obj",
               comp="url", sp="location_id component_id"),
        _build("Location", 'description:str id:str="{uid}" label:str '
               "location_components[ComponentLocation] name:str", req="name id"),
        _build("Disk", 'id:str="{uid}"@diskid name:str projects[Project] unix:str windows:str',
               req="id name"),
        _build("JobComponent", "component->Component component_id:str job->Job job_id:str url:obj",
               pk="component_id job_id", req="component_id job_id",
               imm="component_id job_id url", comp="url", dp="component_id job_id"),
        _build("NoteComponent", "component->Component component_id:str note->Note note_id:str "
               "thumbnail_url:obj url:obj", pk="component_id note_id", req="component_id note_id",
               imm="component_id note_id thumbnail_url url", comp="thumbnail_url url",
               dp="component_id note_id"),
        _build("Resource", _RESOURCE_COMMON + " resource_type:str", req="resource_type id",
               sp="resource_type"),
        _build("User", _RESOURCE_COMMON
               + " custom_attributes{UserCustomAttributeValue} email:str first_name:str@firstname "
               "is_active:bool@isactive is_otp_enabled:bool@otp_enabled "
               "is_totp_enabled:bool@totp_enabled last_name:str@lastname memberships[Membership] "
               'metadata{Metadata}@meta require_details_update:bool resource_type:str="user" '
               "thumbnail->Component thumbnail_id:str@thumbid thumbnail_url:obj timelogs[Timelog] "
               "user_security_roles[UserSecurityRole]@userRoles user_type->UserType@type "
               "user_type_id:?@typeid username:str",
               req="username is_active resource_type id", imm="resource_type thumbnail_url id",
               comp="thumbnail_url", sp="resource_type"),
        _build("Group", _RESOURCE_COMMON
               + " children[Group] link:str@api_link local:bool memberships[Membership] "
               'name:str="" parent->Group parent_id:str@group_id resource_type:str="group"',
               req="name local resource_type id", imm="resource_type link id", sp="resource_type"),
        _build("Membership", 'group->Group group_id:str id:str="{uid}" user->User user_id:str',
               req="group_id user_id id"),
        _build("UserType", 'id:str="{uid}"@typeid name:str', imm="id name"),
        _build("UserSecurityRole", 'id:str="{uid}" is_all_open_projects:bool@isallprojects '
               "is_all_projects:bool@isallprojects user->User user_id:str@userid "
               "security_role->SecurityRole@role security_role_id:str@roleid",
               dp="id user_id security_role_id", alias="Auth_UserRole"),
        _build("SecurityRole", 'id:str="{uid}"@roleid name:str type:str@typeid '
               "user_security_roles[UserSecurityRole]@userRoles", dp="id name",
               alias="Auth_Role"),
        _build("Manager", 'context->Context context_id:str id:str="{uid}"@managerid '
               "type->ManagerType type_id:str@typeid user->User user_id:str@userid"),
        _build("ManagerType", 'id:str="{uid}"@typeid name:str'),
        _build("Scope", 'id:str="{uid}" name:str', req="name id"),
        _build("Note", 'author->User@user category->NoteCategory category_id:str@categoryid '
               "completed_at:datetime completed_by->User completed_by_id:str content:str@text "
               'date:datetime id:str="{uid}"@noteid in_reply_to->Note in_reply_to_id:str@noteparentid '
               "is_todo:bool=false metadata{Metadata}@meta note_components[NoteComponent] "
               "note_label_links[NoteLabelLink] "
               "parent_id:str parent_type:str recipients[Recipient] replies[Note] "
               "thread_activity:datetime@triggerdate user_id:str@userid",
               req="id user_id"),
        _build("NoteCategory", 'color:str id:str="{uid}"@categoryid name:str sort:int=0',
               alias="NoteCategory"),
        _build("NoteLabel", 'color:str id:str="{uid}"@categoryid name:str sort:int=0',
               alias="NoteCategory"),
        _build("NoteLabelLink", "label->NoteLabel label_id:str note->Note note_id:str",
               pk="note_id label_id", req="note_id label_id", imm="note_id label_id",
               dp="note_id label_id"),
        _build("Recipient", "note->Note note_id:str recipient->Resource resource_id:str "
               "text_mentioned:str user->User", pk="note_id resource_id",
               req="note_id resource_id", imm="note_id resource_id", dp="note_id resource_id"),
        _build("Status", 'color:str id:str="{uid}"@statusid is_active:bool@isactive name:str '
               "sort:int=0 state->State@statustype tasks[Task]", req="id is_active",
               alias="TaskStatus"),
        _build("State", 'id:str="{uid}"@typeid name:str short:str', alias="StatusType"),
        _build("Type", 'color:str="#510100" id:str="{uid}"@typeid is_billable:bool=true@isbillable '
               "name:str sort:int=0 task_type_schemas[TaskTypeSchema] tasks[Task]",
               req="id color sort is_billable", alias="TaskType"),
        _build("Priority", 'color:str id:str="{uid}"@priorityid name:str sort:int=0 tasks[Task] '
               "value:num=0", alias="PriorityType"),
        _build("ObjectType", 'icon:str="default" id:str="{uid}"@typeid is_leaf:bool=false@isleaf '
               "is_schedulable:bool=false@isschedulable is_statusable:bool=true@isstatusable "
               "is_taskable:bool=true@istaskable is_time_reportable:bool=false@istimereportable "
               "is_typeable:bool=true@istypeable name:str project_schemas[ProjectSchema] sort:int=0 "
               "tasks[Task]", req="id name icon sort is_time_reportable is_taskable is_typeable "
               "is_statusable is_schedulable"),
        _build("ProjectSchema", "_overrides[ProjectSchemaOverride] _schemas[Schema] "
               "_task_type_schema->TaskTypeSchema _task_workflow->WorkflowSchema "
               "_version_workflow->WorkflowSchema asset_version_workflow_schema->WorkflowSchema "
               "asset_version_workflow_schema_id:str@versionworkflowid id:str=\"{uid}\"@schemeid "
               "name:str object_type_schemas[Schema] object_types[ObjectType] "
               "task_templates[TaskTemplate] task_type_schema->TaskTypeSchema "
               "task_type_schema_id:str@tasktypeschemeid task_workflow_schema->WorkflowSchema "
               "task_workflow_schema_id:str@taskworkflowid "
               "task_workflow_schema_overrides[ProjectSchemaOverride]", alias="ProjectScheme"),
        _build("ProjectSchemaObjectType", "object_type->ObjectType object_type_id:str "
               "project_schema->ProjectSchema project_schema_id:str",
               pk="object_type_id project_schema_id", req="object_type_id project_schema_id",
               imm="object_type_id project_schema_id", dp="object_type_id project_schema_id"),
        _build("ProjectSchemaOverride", 'id:str="{uid}" project_schema_id:str type_id:str '
               "workflow_schema->WorkflowSchema workflow_schema_id:str",
               alias="ProjectSchemeOverride"),
        _build("Schema", 'id:str="{uid}" object_type_id:str@typeid project_schema_id:str@projectschemeid '
               "statuses[SchemaStatus] type_id:str@typeid types[SchemaType]",
               req="id type_id project_schema_id"),
        _build("SchemaStatus", "schema_id:str@schemaid sort:int=0 status_id:str@statusid "
               "task_status->Status", pk="status_id schema_id", req="status_id schema_id",
               imm="status_id schema_id", dp="status_id schema_id"),
        _build("SchemaType", "schema_id:str@schemaid sort:int=0 task_type->Type type_id:str@typeid",
               pk="type_id schema_id", req="type_id schema_id", imm="type_id schema_id",
               dp="type_id schema_id"),
        _build("WorkflowSchema", 'id:str="{uid}"@schemeid name:str="Workflow~Name" '
               "overrides[ProjectSchemaOverride] statuses[Status]", alias="WorkflowScheme"),
        _build("WorkflowSchemaStatus", "status_id:str@statusid workflow_schema_id:str@schemeid",
               pk="workflow_schema_id status_id", req="workflow_schema_id status_id",
               imm="workflow_schema_id status_id", dp="workflow_schema_id status_id"),
        _build("TaskTypeSchema", 'id:str="{uid}"@schemeid name:str="TaskType~Schema~Name" types[Type]',
               alias="TaskTypeScheme"),
        _build("TaskTypeSchemaType", "task_type_schema_id:str@schemeid type_id:str@typeid",
               pk="task_type_schema_id type_id", req="task_type_schema_id type_id",
               imm="task_type_schema_id type_id", dp="task_type_schema_id type_id"),
        _build("TaskTemplate", 'id:str="{uid}" items[TaskTemplateItem] name:str '
               "project_schema->ProjectSchema project_schema_id:str",
               req="id name project_schema_id", dp="id name"),
        _build("TaskTemplateItem", 'id:str="{uid}" task_type->Type task_type_id:str '
               "template->TaskTemplate template_id:str", req="id task_type_id template_id"),
        _build("Metadata", "key:str@variable parent_id:str@meta_id parent_type:str@meta_type value:str",
               pk="parent_id key", req="parent_id key value parent_type", imm="parent_id key",
               dp="parent_id key value parent_type", alias="Meta"),
        _build("CustomConfigurationBase", 'config:str core:bool=false entity_type:str@entity '
               'group->CustomAttributeGroup group_id:str@groupid id:str="{uid}"@registerid key:str '
               "label:str object_type->ObjectType object_type_id:str@entity_key "
               "project_id:str@topid sort:int=0", req="id core config", alias="RegisterBase"),
        _build("CustomAttributeConfiguration", 'config:str core:bool=false default:any=""@casted_default '
               "entity_type:str@entity group->CustomAttributeGroup group_id:str@groupid "
               'id:str="{uid}"@registerid is_hierarchical:bool=false@ishierarchical key:str label:str '
               "object_type->ObjectType object_type_id:str@entity_key project_id:str@topid "
               "read_security_roles[SecurityRole] sort:int=0 type->CustomAttributeType "
               "type_id:str@typeid values[CustomAttributeValue] write_security_roles[SecurityRole]",
               req="id core config", sp="write_permissionid permissionid topid",
               alias="Variable_Register"),
        _build("CustomAttributeType", 'core:bool=false '
               "custom_attribute_configurations[CustomAttributeConfiguration] "
               'form_config:str@formconfig id:str="{uid}"@typeid name:str', req="id core"),
        _build("CustomAttributeGroup", "custom_attribute_configurations[CustomAttributeConfiguration] "
               'id:str="{uid}"@groupid name:str', dp="id name", alias="AttributeGroup"),
        _build("CustomAttributeValue", "configuration->CustomAttributeConfiguration "
               "configuration_id:str@registerid entity_id:str@entityid value:any@casted_value",
               pk="configuration_id entity_id", req="configuration_id entity_id",
               imm="configuration_id entity_id", dp="configuration_id entity_id",
               alias="Variable_Value"),
    ]
    for owner in ("Context", "Asset", "AssetVersion", "User", "List", "ListObject"):
        system = "entity_id key _casted_value"
        if owner not in ("User", "ListObject"):
            system += " project_id"
        out.append(_build(
            f"{owner}CustomAttributeValue", _CAV, pk="configuration_id entity_id",
            req="configuration_id entity_id", imm="configuration_id entity_id",
            dp="configuration_id entity_id key", sp=system,
        ))
    out += [
        _build("Timelog", 'comment:str="" context->Context context_id:str duration:num '
               'id:str="{uid}" name:str start:datetime time_zone_offset:num user->User user_id:str',
               req="comment start duration id", sp="user_id context_id"),
        _build("Timer", 'comment:str="" context->Context context_id:str id:str="{uid}" name:str '
               "start:datetime user->User user_id:str", req="comment start user_id id"),
        _build("Appointment", 'context->Context context_id:str id:str="{uid}" resource->Resource '
               "resource_id:str type:str", req="id type resource_id context_id"),
        _build("CalendarEvent", "created_at:datetime created_by->User@createdBy "
               'created_by_id:str@created_by effort:num end:datetime estimate:num everyone:bool '
               'forecast:bool id:str="{uid}" leave:bool metadata{Metadata}@meta name:str="" '
               "project->Project project_id:str start:datetime type->Type type_id:str",
               req="name start end id", dp="id start end", sp="project_id"),
        _build("Job", 'created_at:datetime data:json finished_at:datetime id:str="{uid}"@jobid '
               'job_components[JobComponent] status:str="queued" type:str="api_job" user->User '
               "user_id:str@userid", req="id status type", imm="id type"),
        _build("List", _LIST + ' system_type:str="task"@entity', req="id is_open category_id project_id",
               sp="showid"),
        _build("TypedContextList", _LIST + ' items[Task]@_task_items system_type:str="task"@entity',
               req="id is_open category_id project_id", imm="type id", sp="showid",
               alias={"id": "List", "classifiers": {"entity": "task"}}),
        _build("AssetVersionList", _LIST + ' items[AssetVersion]@_asset_version_items system_type:str="assetversion"@entity',
               req="id is_open category_id project_id", imm="type id", sp="showid",
               alias={"id": "List", "classifiers": {"entity": "assetversion"}}),
        _build("ListCategory", 'id:str="{uid}"@typeid lists[List] name:str', alias="ListType"),
        _build("ListObject", "custom_attributes{ListObjectCustomAttributeValue} entity_id:str@entityid "
               'id:str="{uid}" list->List list_id:str@listid', req="id entity_id list_id",
               dp="id entity_id list_id"),
        _build("StatusChange", _STATUS_CHANGE, alias="Trac"),
        _build("TypedContextStatusChange", _STATUS_CHANGE + " parent->TypedContext"),
        _build("AssetVersionStatusChange", _STATUS_CHANGE + " parent->AssetVersion"),
        _build("ReviewSession", 'availability:str created_at:datetime created_by->User '
               'created_by_id:str@created_by description:str="" end_date:datetime@end '
               'id:str="{uid}" is_moderated:bool is_open:bool name:str="New~review~session" '
               "passphrase:str passphrase_enabled:bool project->Project project_id:str "
               "review_session_invitees[ReviewSessionInvitee] "
               "review_session_objects[ReviewSessionObject] shareable_url_enabled:bool "
               "start_date:datetime@start thumbnail->Component thumbnail_id:str@thumbid "
               "thumbnail_url:obj",
               req="name description start_date end_date project_id id created_by_id created_at",
               imm="id thumbnail_id thumbnail_url is_open",
               comp="thumbnail_id thumbnail_url is_open"),
        _build("ReviewSessionObject", 'asset_version->AssetVersion created_at:datetime '
               'description:str="" id:str="{uid}" name:str="" notes[Note] '
               "review_session->ReviewSession review_session_id:str sort_order:num "
               "statuses[ReviewSessionObjectStatus] version:str=\"\" version_id:str",
               req="name description version version_id review_session_id id created_at sort_order",
               sp="review_session_id"),
        _build("ReviewSessionObjectStatus", 'created_at:datetime id:str="{uid}" '
               "invitee->ReviewSessionInvitee review_session_invitee_id:str "
               "review_session_object->ReviewSessionObject@reviewSessionObject "
               "review_session_object_id:str status:str", req="id created_at",
               sp="review_session_object_id"),
        _build("ReviewSessionInvitee", "created_at:datetime created_by->User "
               "created_by_id:str@created_by created_from_shared_url:bool email:str "
               'id:str="{uid}" last_sent_at:datetime name:str review_session->ReviewSession '
               "review_session_id:str statuses[ReviewSessionObjectStatus]",
               req="email name review_session_id id created_by_id created_at",
               imm="id created_from_shared_url", sp="review_session_id"),
        _build("DashboardResource", "dashboard_id:str resource->Resource resource_id:str",
               pk="dashboard_id resource_id", req="dashboard_id resource_id",
               imm="dashboard_id resource_id", dp="dashboard_id resource_id",
               alias="LinkDashboardResource"),
    ]
    return out
